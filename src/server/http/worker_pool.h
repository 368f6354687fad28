// A fixed set of threads running queued tasks in FIFO order, with an optional bound on the
// tasks waiting for a thread. The HTTP transport keeps one pool per request lane (search, write,
// management…) and hands each complete request to its lane's pool, so a slow handler never
// stalls the event loop, a slow client (whose bytes the event loop collects) never occupies a
// worker, and handlers blocked in one lane never hold the threads of another.
//
// Bound: at most threads + queue_capacity tasks are accepted and not yet finished (running or
// waiting for a thread), like Elasticsearch's fixed thread pools; past that TrySubmit refuses
// the task (returns false, counts a rejection). queue_capacity 0 = a task is accepted only when
// a thread is free; kUnboundedQueue = never refused.
//
// Lifecycle: the constructor only records the size; Start() spawns the threads; Stop() lets the
// queued tasks finish, then joins. Tasks submitted before Start wait for it. Stats() works at
// any time, also before Start and after Stop.
//
// Thread safety: TrySubmit and Stats may be called from any thread; Start and Stop are called
// by the owner, once each. mu_ guards the queue, the flags and the counters.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lookalike::server {

/// A queue_capacity that never refuses a task.
inline constexpr size_t kUnboundedQueue = static_cast<size_t>(-1);

/// A snapshot of a pool (Elasticsearch's _nodes/stats thread_pool fields).
struct WorkerPoolStats {
  std::string name;
  int threads = 0;            // configured size
  int active = 0;             // tasks running now
  size_t queue = 0;           // tasks waiting for a thread
  size_t queue_capacity = 0;  // kUnboundedQueue = unbounded
  uint64_t rejected = 0;      // TrySubmit calls refused because the queue was full
  uint64_t completed = 0;     // tasks that finished running
};

class WorkerPool {
 public:
  /// `threads` < 1 is taken as 1.
  explicit WorkerPool(int threads, size_t queue_capacity = kUnboundedQueue, std::string name = "");
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Start();
  /// Queues `task`, or returns false (and drops it) when the pool is at its capacity.
  [[nodiscard]] bool TrySubmit(std::function<void()> task);
  void Stop();
  int size() const { return threads_wanted_; }
  const std::string& name() const { return name_; }
  WorkerPoolStats Stats() const;

 private:
  void Loop();

  const std::string name_;
  const int threads_wanted_;
  const size_t queue_capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  int active_ = 0;                           // guarded by mu_
  uint64_t rejected_ = 0;                    // guarded by mu_
  uint64_t completed_ = 0;                   // guarded by mu_
  std::vector<std::thread> threads_;         // touched by Start/Stop (the owner) only
};

}  // namespace lookalike::server
