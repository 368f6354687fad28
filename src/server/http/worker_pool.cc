#include "server/http/worker_pool.h"

#include <utility>

namespace lookalike::server {

WorkerPool::WorkerPool(int threads, size_t queue_capacity, std::string name)
    : name_(std::move(name)),
      threads_wanted_(threads < 1 ? 1 : threads),
      queue_capacity_(queue_capacity) {}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || !threads_.empty()) return;
  }
  threads_.reserve(static_cast<size_t>(threads_wanted_));
  for (int i = 0; i < threads_wanted_; ++i) threads_.emplace_back([this] { Loop(); });
}

bool WorkerPool::TrySubmit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    size_t accepted = static_cast<size_t>(active_) + tasks_.size();
    size_t threads = static_cast<size_t>(threads_wanted_);
    if (queue_capacity_ != kUnboundedQueue && accepted >= threads + queue_capacity_) {
      ++rejected_;
      return false;
    }
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void WorkerPool::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

WorkerPoolStats WorkerPool::Stats() const {
  WorkerPoolStats s;
  s.name = name_;
  s.threads = threads_wanted_;
  s.queue_capacity = queue_capacity_;
  std::lock_guard<std::mutex> lock(mu_);
  s.active = active_;
  s.queue = tasks_.size();
  s.rejected = rejected_;
  s.completed = completed_;
  return s;
}

void WorkerPool::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (tasks_.empty()) return;  // stopping and drained
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    ++active_;
    lock.unlock();
    task();
    task = nullptr;  // destroy captured state before counting the task as done
    lock.lock();
    --active_;
    ++completed_;
  }
}

}  // namespace lookalike::server
