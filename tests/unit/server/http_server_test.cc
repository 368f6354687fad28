// The epoll transport over loopback sockets: parallel keep-alive clients, a slow client not
// blocking a worker, graceful stop with a request in flight, 413 readable by the client, idle
// connections closed after the idle timeout (never one with a request in flight), and the
// connection cap.
#include "server/http/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace lookalike::server {
namespace {

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads one response (headers + content-length body).
std::string ReadResponse(int fd) {
  std::string buf;
  char tmp[4096];
  while (true) {
    size_t head_end = buf.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      size_t cl = buf.find("content-length: ");
      size_t len = cl == std::string::npos ? 0 : std::stoul(buf.substr(cl + 16));
      if (buf.size() >= head_end + 4 + len) return buf.substr(0, head_end + 4 + len);
    }
    ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) return buf;
    buf.append(tmp, static_cast<size_t>(n));
  }
}

class ServerFixture : public ::testing::Test {
 protected:
  void Start(int workers, size_t max_body = size_t{1} << 20,
             const std::function<void(HttpServerOptions*)>& tweak = {}) {
    HttpServerOptions options;
    options.port = 0;
    options.worker_threads = workers;
    options.max_body_bytes = max_body;
    if (tweak) tweak(&options);
    server_ = std::make_unique<HttpServer>(options, [this](const HttpRequest& r,
                                                           HttpResponse* resp) {
      Handle(r, resp);
    });
    ASSERT_TRUE(server_->Listen().ok());
    thread_ = std::thread([this] { run_status_ = server_->Run(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }

  void Handle(const HttpRequest& r, HttpResponse* resp) {
    if (r.path == "/barrier") {
      // Both requests must be inside the handler at once, or this times out.
      std::unique_lock<std::mutex> lock(mu_);
      ++inside_;
      cv_.notify_all();
      bool both = cv_.wait_for(lock, std::chrono::seconds(10), [this] { return inside_ >= 2; });
      resp->body = both ? "together" : "alone";
      return;
    }
    if (r.path == "/wait") {
      std::unique_lock<std::mutex> lock(mu_);
      entered_wait_ = true;
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(10), [this] { return release_; });
      resp->body = "released";
      return;
    }
    resp->body = "echo " + r.path + " " + std::to_string(r.body.size());
  }

  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  Status run_status_;
  std::mutex mu_;
  std::condition_variable cv_;
  int inside_ = 0;
  bool entered_wait_ = false;
  bool release_ = false;
};

TEST_F(ServerFixture, KeepAliveClientsServedInParallel) {
  Start(2);
  int a = Connect(server_->port());
  int b = Connect(server_->port());
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  // A first request on each connection proves keep-alive reuse afterwards.
  SendAll(a, "GET /x HTTP/1.1\r\n\r\n");
  EXPECT_NE(ReadResponse(a).find("echo /x"), std::string::npos);
  SendAll(a, "GET /barrier HTTP/1.1\r\n\r\n");
  SendAll(b, "GET /barrier HTTP/1.1\r\n\r\n");
  EXPECT_NE(ReadResponse(a).find("together"), std::string::npos);
  EXPECT_NE(ReadResponse(b).find("together"), std::string::npos);
  close(a);
  close(b);
}

TEST_F(ServerFixture, IdleConnectionsAreClosedButNotBusyOnes) {
  Start(2, size_t{1} << 20, [](HttpServerOptions* o) { o->idle_timeout_ms = 200; });
  int idle = Connect(server_->port());
  SendAll(idle, "GET /x HTTP/1.1\r\n\r\n");
  EXPECT_NE(ReadResponse(idle).find("echo /x"), std::string::npos);
  int busy = Connect(server_->port());
  SendAll(busy, "GET /wait HTTP/1.1\r\n\r\n");
  {
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(10), [this] { return entered_wait_; }));
  }
  // The server closes the idle one: recv sees EOF (not the 10 s receive timeout).
  char c;
  EXPECT_EQ(recv(idle, &c, 1, 0), 0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    release_ = true;
  }
  cv_.notify_all();
  // The one whose request outlived the timeout still gets its answer.
  EXPECT_NE(ReadResponse(busy).find("released"), std::string::npos);
  close(idle);
  close(busy);
}

TEST_F(ServerFixture, ConnectionsBeyondTheCapAreClosed) {
  Start(2, size_t{1} << 20, [](HttpServerOptions* o) { o->max_connections = 2; });
  int a = Connect(server_->port());
  int b = Connect(server_->port());
  SendAll(a, "GET /a HTTP/1.1\r\n\r\n");
  SendAll(b, "GET /b HTTP/1.1\r\n\r\n");
  EXPECT_NE(ReadResponse(a).find("echo /a"), std::string::npos);
  EXPECT_NE(ReadResponse(b).find("echo /b"), std::string::npos);
  int c = Connect(server_->port());  // the kernel completes the handshake; the server drops it
  ASSERT_GE(c, 0);
  SendAll(c, "GET /c HTTP/1.1\r\n\r\n");
  EXPECT_EQ(ReadResponse(c), "");
  close(c);
  close(b);
  // A freed slot is usable again; the open connection goes on working.
  int d = -1;
  std::string answer;
  for (int attempt = 0; attempt < 50 && answer.empty(); ++attempt) {
    if (d >= 0) close(d);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the loop see b's close
    d = Connect(server_->port());
    SendAll(d, "GET /d HTTP/1.1\r\n\r\n");
    answer = ReadResponse(d);
  }
  EXPECT_NE(answer.find("echo /d"), std::string::npos);
  SendAll(a, "GET /a2 HTTP/1.1\r\n\r\n");
  EXPECT_NE(ReadResponse(a).find("echo /a2"), std::string::npos);
  close(a);
  close(d);
}

TEST_F(ServerFixture, SlowClientDoesNotHoldTheWorker) {
  Start(1);
  int slow = Connect(server_->port());
  SendAll(slow, "POST /slow HTTP/1.1\r\nContent-Length: 10\r\n\r\nab");  // body unfinished
  int fast = Connect(server_->port());
  SendAll(fast, "GET /fast HTTP/1.1\r\n\r\n");
  EXPECT_NE(ReadResponse(fast).find("echo /fast"), std::string::npos);
  SendAll(slow, "cdefghij");
  EXPECT_NE(ReadResponse(slow).find("echo /slow 10"), std::string::npos);
  close(slow);
  close(fast);
}

TEST_F(ServerFixture, StopFinishesInFlightRequest) {
  Start(2);
  int fd = Connect(server_->port());
  SendAll(fd, "GET /wait HTTP/1.1\r\n\r\n");
  {
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(10), [this] { return entered_wait_; }));
  }
  server_->Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    release_ = true;
  }
  cv_.notify_all();
  std::string resp = ReadResponse(fd);
  EXPECT_NE(resp.find("released"), std::string::npos);
  EXPECT_NE(resp.find("connection: close"), std::string::npos);
  thread_.join();
  EXPECT_TRUE(run_status_.ok());
  EXPECT_LT(Connect(server_->port()), 0);  // no longer accepting
  close(fd);
}

TEST_F(ServerFixture, OverLimitBodyGets413ThenServerStillServes) {
  Start(1, 1024);
  int fd = Connect(server_->port());
  SendAll(fd, "PUT /big HTTP/1.1\r\nContent-Length: 100000\r\n\r\n");
  SendAll(fd, std::string(100000, 'x'));  // the server drains it so we can read the answer
  std::string resp = ReadResponse(fd);
  EXPECT_NE(resp.find("HTTP/1.1 413"), std::string::npos);
  EXPECT_NE(resp.find("\"status\":413"), std::string::npos);
  close(fd);
  int fd2 = Connect(server_->port());
  SendAll(fd2, "GET /after HTTP/1.1\r\n\r\n");
  EXPECT_NE(ReadResponse(fd2).find("echo /after"), std::string::npos);
  close(fd2);
}

}  // namespace
}  // namespace lookalike::server
