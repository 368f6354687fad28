// EtcdClient against a real etcd (started here on a free port in a temporary folder).
#include "cluster/etcd_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>

#include "service_process.h"

namespace lookalike::cluster {
namespace {

using namespace std::chrono_literals;
using testing::EtcdServer;
using testing::TempDir;

// Collects watch events and errors from the watch thread.
struct WatchLog {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<WatchEvent> events;
  std::vector<Status> errors;

  void Add(const std::vector<WatchEvent>& batch) {
    std::lock_guard<std::mutex> lock(mu);
    events.insert(events.end(), batch.begin(), batch.end());
    cv.notify_all();
  }
  void Fail(const Status& st) {
    std::lock_guard<std::mutex> lock(mu);
    errors.push_back(st);
    cv.notify_all();
  }
  bool WaitForEvents(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, 10s, [&] { return events.size() >= n; });
  }
  bool WaitForError() {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, 10s, [&] { return !errors.empty(); });
  }
};

class EtcdClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (testing::FindProgram("etcd").empty()) return;
    dir_ = new TempDir();
    server_ = new EtcdServer();
    started_ = server_->Start(dir_->path());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
    server_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (testing::FindProgram("etcd").empty()) {
      GTEST_SKIP() << "etcd is not installed (apt-get install etcd-server, or "
                      "scripts/install-deps.sh); the etcd client tests need a real etcd";
    }
    ASSERT_TRUE(started_) << "etcd did not start; see its log in the test's temporary folder";
    auto client = EtcdClient::Create(server_->url);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }

  static TempDir* dir_;
  static EtcdServer* server_;
  static bool started_;
  std::unique_ptr<EtcdClient> client_;
};

TempDir* EtcdClientTest::dir_ = nullptr;
EtcdServer* EtcdClientTest::server_ = nullptr;
bool EtcdClientTest::started_ = false;

TEST_F(EtcdClientTest, PutGetDelete) {
  auto missing = client_->Get("/t1/a");
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  EXPECT_FALSE(missing->has_value());

  std::string binary("v\0\xff\n", 4);  // values are bytes, not text
  auto revision = client_->Put("/t1/a", binary);
  ASSERT_TRUE(revision.ok()) << revision.status().ToString();
  auto got = client_->Get("/t1/a");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->value, binary);
  EXPECT_EQ((*got)->mod_revision, *revision);
  EXPECT_EQ((*got)->version, 1);

  auto deleted = client_->Delete("/t1/a");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 1);
  EXPECT_FALSE(client_->Get("/t1/a")->has_value());
  EXPECT_EQ(client_->Delete("/t1/a").value(), 0);
}

TEST_F(EtcdClientTest, PrefixRangeAndDelete) {
  ASSERT_TRUE(client_->Put("/t2/b", "2").ok());
  ASSERT_TRUE(client_->Put("/t2/a", "1").ok());
  ASSERT_TRUE(client_->Put("/t2/c/d", "3").ok());
  ASSERT_TRUE(client_->Put("/t20", "not under /t2/").ok());
  auto range = client_->GetPrefix("/t2/");
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  ASSERT_EQ(range->kvs.size(), 3u);
  EXPECT_EQ(range->kvs[0].key, "/t2/a");
  EXPECT_EQ(range->kvs[1].key, "/t2/b");
  EXPECT_EQ(range->kvs[2].key, "/t2/c/d");
  EXPECT_GT(range->revision, 0);
  EXPECT_EQ(client_->DeletePrefix("/t2/").value(), 3);
  EXPECT_TRUE(client_->GetPrefix("/t2/")->kvs.empty());
  EXPECT_TRUE(client_->Get("/t20")->has_value());
}

TEST_F(EtcdClientTest, CompareAndSwapCreatesOnceAndChecksModRevision) {
  auto first = client_->CompareAndSwap("/t3/leader", 0, "n1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->succeeded);

  auto second = client_->CompareAndSwap("/t3/leader", 0, "n2");
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->succeeded);
  ASSERT_TRUE(second->current.has_value());
  EXPECT_EQ(second->current->value, "n1");
  int64_t revision = second->current->mod_revision;

  auto stale = client_->CompareAndSwap("/t3/leader", revision - 1, "n3");
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(stale->succeeded);
  auto swap = client_->CompareAndSwap("/t3/leader", revision, "n2");
  ASSERT_TRUE(swap.ok());
  EXPECT_TRUE(swap->succeeded);
  EXPECT_EQ(client_->Get("/t3/leader").value()->value, "n2");
}

TEST_F(EtcdClientTest, LeaseKeepsKeyUntilRevoked) {
  auto lease = client_->GrantLease(30);
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_GT(lease->id, 0);
  EXPECT_GE(lease->ttl_seconds, 30);
  ASSERT_TRUE(client_->Put("/t4/node", "alive", lease->id).ok());
  EXPECT_EQ(client_->Get("/t4/node").value()->lease, lease->id);
  auto ttl = client_->KeepAliveOnce(lease->id);
  ASSERT_TRUE(ttl.ok()) << ttl.status().ToString();
  EXPECT_GT(*ttl, 0);

  ASSERT_TRUE(client_->RevokeLease(lease->id).ok());
  EXPECT_FALSE(client_->Get("/t4/node")->has_value());
  EXPECT_EQ(client_->KeepAliveOnce(lease->id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(client_->RevokeLease(lease->id).code(), StatusCode::kNotFound);
  EXPECT_EQ(client_->Put("/t4/node", "x", lease->id).status().code(), StatusCode::kNotFound);
}

TEST_F(EtcdClientTest, LeaseExpiresWithoutKeepAlive) {
  auto lease = client_->GrantLease(1);
  ASSERT_TRUE(lease.ok());
  ASSERT_TRUE(client_->Put("/t5/node", "alive", lease->id).ok());
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {  // etcd expires leases on its own clock
    std::this_thread::sleep_for(100ms);
    gone = !client_->Get("/t5/node")->has_value();
  }
  EXPECT_TRUE(gone);
}

TEST_F(EtcdClientTest, WatchDeliversPutsAndDeletesInOrderAndStops) {
  WatchLog log;
  auto watch = client_->Watch(
      "/t6/", /*prefix=*/true, 0, [&](const auto& batch) { log.Add(batch); },
      [&](const Status& st) { log.Fail(st); });
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  // Written after Watch() returned: none may be missed.
  ASSERT_TRUE(client_->Put("/t6/a", "1").ok());
  ASSERT_TRUE(client_->Put("/t7/other", "x").ok());
  ASSERT_TRUE(client_->Put("/t6/b", "2").ok());
  ASSERT_TRUE(client_->Delete("/t6/a").ok());
  ASSERT_TRUE(log.WaitForEvents(3));
  {
    std::lock_guard<std::mutex> lock(log.mu);
    ASSERT_EQ(log.events.size(), 3u);
    EXPECT_EQ(log.events[0].type, WatchEvent::Type::kPut);
    EXPECT_EQ(log.events[0].kv.key, "/t6/a");
    EXPECT_EQ(log.events[0].kv.value, "1");
    EXPECT_EQ(log.events[1].kv.key, "/t6/b");
    EXPECT_EQ(log.events[2].type, WatchEvent::Type::kDelete);
    EXPECT_EQ(log.events[2].kv.key, "/t6/a");
    EXPECT_LT(log.events[0].kv.mod_revision, log.events[2].kv.mod_revision);
  }
  auto before = std::chrono::steady_clock::now();
  (*watch)->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  ASSERT_TRUE(client_->Put("/t6/c", "after stop").ok());
  std::this_thread::sleep_for(200ms);
  std::lock_guard<std::mutex> lock(log.mu);
  EXPECT_EQ(log.events.size(), 3u);
  EXPECT_TRUE(log.errors.empty());  // Stop() is not an error
}

TEST_F(EtcdClientTest, WatchFromRevisionReplaysHistory) {
  auto first = client_->Put("/t8/k", "1");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(client_->Put("/t8/k", "2").ok());
  WatchLog log;
  auto watch =
      client_->Watch("/t8/k", /*prefix=*/false, *first, [&](const auto& batch) { log.Add(batch); });
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  ASSERT_TRUE(log.WaitForEvents(2));
  std::lock_guard<std::mutex> lock(log.mu);
  EXPECT_EQ(log.events[0].kv.value, "1");
  EXPECT_EQ(log.events[1].kv.value, "2");
}

TEST_F(EtcdClientTest, SecondEndpointAnswersWhenTheFirstIsDown) {
  std::string dead = "http://127.0.0.1:" + std::to_string(testing::FreePort());
  auto client = EtcdClient::Create(dead + "," + server_->url);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Put("/t9/a", "1").ok());
  EXPECT_EQ((*client)->Get("/t9/a").value()->value, "1");
}

TEST(EtcdClientDownTest, NoEtcdIsUnavailable) {
  std::string dead = "http://127.0.0.1:" + std::to_string(testing::FreePort());
  auto client = EtcdClient::Create(dead);
  ASSERT_TRUE(client.ok());
  Status st = (*client)->Put("/k", "v").status();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("etcd is unavailable"), std::string::npos) << st.ToString();
  EXPECT_EQ((*client)->Watch("/k", false, 0, [](const auto&) {}).status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(EtcdClient::Create("etcd.example:2379").status().code(), StatusCode::kInvalidArgument);
}

TEST(EtcdClientDownTest, AnEtcdThatNeverAnswersIsUnavailableAfterTheTimeout) {
  // A listening socket nobody reads from: connections complete (kernel backlog), no response
  // ever comes, like an etcd that hangs.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  EtcdOptions options;
  options.request_timeout = 300ms;
  auto client =
      EtcdClient::Create("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), options);
  ASSERT_TRUE(client.ok());
  Status st = (*client)->Get("/k").status();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
  EXPECT_NE(st.message().find("timed out"), std::string::npos) << st.ToString();
  EXPECT_EQ((*client)->Watch("/k", false, 0, [](const auto&) {}).status().code(),
            StatusCode::kUnavailable);
  ::close(fd);
}

TEST(EtcdClientDownTest, WatchReportsEtcdGoingAway) {
  if (testing::FindProgram("etcd").empty()) GTEST_SKIP() << "etcd is not installed";
  TempDir dir;
  EtcdServer server;
  ASSERT_TRUE(server.Start(dir.path()));
  auto client = EtcdClient::Create(server.url);
  ASSERT_TRUE(client.ok());
  WatchLog log;
  auto watch = (*client)->Watch(
      "/w/", true, 0, [&](const auto& batch) { log.Add(batch); },
      [&](const Status& st) { log.Fail(st); });
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  server.process.Kill();
  ASSERT_TRUE(log.WaitForError());
  std::lock_guard<std::mutex> lock(log.mu);
  EXPECT_EQ(log.errors.size(), 1u);
  EXPECT_EQ(log.errors[0].code(), StatusCode::kUnavailable) << log.errors[0].ToString();
}

}  // namespace
}  // namespace lookalike::cluster
