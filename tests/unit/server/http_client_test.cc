// The HTTP client (net/http_client.h) against the real epoll transport: requests of several
// clients in flight from one thread (BeginRequest / FinishRequest, as the cluster coordinator's
// scatter uses them), and a kept-alive connection the server closed meanwhile re-dialled with
// the request sent again.
#include "net/http_client.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/http/http_server.h"

namespace lookalike::server {
namespace {

class HttpClientTest : public ::testing::Test {
 protected:
  void Start(int idle_timeout_ms = 60000) {
    HttpServerOptions options;
    options.port = 0;
    options.worker_threads = 2;
    options.idle_timeout_ms = idle_timeout_ms;
    server_ = std::make_unique<HttpServer>(
        options, [this](const HttpRequest& r, HttpResponse* resp) { Handle(r, resp); });
    ASSERT_TRUE(server_->Listen().ok());
    thread_ = std::thread([this] { run_status_ = server_->Run(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }

  void Handle(const HttpRequest& r, HttpResponse* resp) {
    if (r.path == "/barrier") {
      // Answers only once both requests are inside the handler: both must be in flight.
      std::unique_lock<std::mutex> lock(mu_);
      ++inside_;
      cv_.notify_all();
      bool both = cv_.wait_for(lock, std::chrono::seconds(10), [this] { return inside_ >= 2; });
      resp->body = (both ? "together " : "alone ") + r.body;
      return;
    }
    resp->body = "echo " + r.path + " " + r.body;
  }

  net::HttpClient Client() {
    auto client = net::HttpClient::Create("http://127.0.0.1:" + std::to_string(server_->port()));
    EXPECT_TRUE(client.ok());
    client->SetReceiveTimeout(std::chrono::milliseconds(20000));
    return std::move(client).value();
  }

  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  Status run_status_;
  std::mutex mu_;
  std::condition_variable cv_;
  int inside_ = 0;
};

TEST_F(HttpClientTest, TwoRequestsInFlightFromOneThread) {
  Start();
  net::HttpClient a = Client();
  net::HttpClient b = Client();
  ASSERT_TRUE(a.BeginRequest("POST", "/barrier", "A").ok());
  ASSERT_TRUE(b.BeginRequest("POST", "/barrier", "B").ok());
  // b's answer is read first; a's waits on its socket meanwhile.
  auto second = b.FinishRequest();
  auto first = a.FinishRequest();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->body, "together A");
  EXPECT_EQ(second->body, "together B");
  // The connections stay usable, and Send is the two halves in one.
  auto again = a.Send("POST", "/x", "C");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->body, "echo /x C");
}

TEST_F(HttpClientTest, AKeptAliveConnectionTheServerClosedIsRedialled) {
  Start(/*idle_timeout_ms=*/200);
  net::HttpClient client = Client();
  auto first = client.Send("GET", "/one");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->body, "echo /one ");
  // The server closes the idle connection: its end of file makes the socket readable.
  pollfd p{client.socket_fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1);
  ASSERT_TRUE(client.BeginRequest("POST", "/two", "body").ok());  // written to the dead socket
  auto second = client.FinishRequest();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->body, "echo /two body");
}

}  // namespace
}  // namespace lookalike::server
