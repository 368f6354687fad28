// WorkerPool: the bound on accepted tasks (threads + queue_capacity), rejections counted, the
// counters, queued tasks finished by Stop, tasks submitted before Start.
#include "server/http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace lookalike::server {
namespace {

// A task that blocks until Open(); counts how many entered.
class Gate {
 public:
  std::function<void()> Task() {
    return [this] {
      std::unique_lock<std::mutex> lock(mu_);
      ++entered_;
      cv_.notify_all();
      cv_.wait_for(lock, std::chrono::seconds(10), [this] { return open_; });
    };
  }
  bool WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return entered_ >= n; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

TEST(WorkerPool, RefusesTasksBeyondThreadsPlusQueue) {
  WorkerPool pool(2, /*queue_capacity=*/3, "write");
  pool.Start();
  Gate gate;
  ASSERT_TRUE(pool.TrySubmit(gate.Task()));
  ASSERT_TRUE(pool.TrySubmit(gate.Task()));
  ASSERT_TRUE(gate.WaitEntered(2));  // both threads held
  std::atomic<int> ran{0};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_FALSE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_FALSE(pool.TrySubmit([&] { ++ran; }));
  WorkerPoolStats stats = pool.Stats();
  EXPECT_EQ(stats.name, "write");
  EXPECT_EQ(stats.threads, 2);
  EXPECT_EQ(stats.active, 2);
  EXPECT_EQ(stats.queue, 3u);
  EXPECT_EQ(stats.queue_capacity, 3u);
  EXPECT_EQ(stats.rejected, 2u);
  gate.Open();
  pool.Stop();  // finishes what was queued
  EXPECT_EQ(ran.load(), 3);
  stats = pool.Stats();
  EXPECT_EQ(stats.active, 0);
  EXPECT_EQ(stats.queue, 0u);
  EXPECT_EQ(stats.completed, 5u);
  EXPECT_EQ(stats.rejected, 2u);
}

TEST(WorkerPool, ZeroQueueAcceptsOnlyWhileAThreadIsFree) {
  WorkerPool pool(1, /*queue_capacity=*/0);
  pool.Start();
  Gate gate;
  ASSERT_TRUE(pool.TrySubmit(gate.Task()));
  ASSERT_TRUE(gate.WaitEntered(1));
  EXPECT_FALSE(pool.TrySubmit([] {}));
  gate.Open();
  pool.Stop();
  EXPECT_EQ(pool.Stats().rejected, 1u);
}

TEST(WorkerPool, UnboundedQueueNeverRefuses) {
  WorkerPool pool(1);
  Gate gate;
  ASSERT_TRUE(pool.TrySubmit(gate.Task()));
  std::atomic<int> ran{0};
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));
  EXPECT_EQ(pool.Stats().queue, 10001u);  // not started yet: everything waits
  pool.Start();
  gate.Open();
  pool.Stop();
  EXPECT_EQ(ran.load(), 10000);
  EXPECT_EQ(pool.Stats().rejected, 0u);
}

}  // namespace
}  // namespace lookalike::server
