// A fixed set of threads running queued tasks in FIFO order. The HTTP transport hands each
// complete request to it so a slow handler never stalls the event loop, and a slow client (whose
// bytes the event loop collects) never occupies a worker.
//
// Thread safety: Submit may be called from any thread. Stop() finishes the queued tasks, then
// joins; it is called once, by the owner.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lookalike::server {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(std::function<void()> task);
  void Stop();
  int size() const { return static_cast<int>(threads_.size()); }

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace lookalike::server
