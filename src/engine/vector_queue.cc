#include "engine/vector_queue.h"

#include <algorithm>

namespace lookalike::engine {

size_t VectorQueue::BytesOf(const VectorTask& t) {
  return t.add_vectors.size() * sizeof(float) + (t.add_labels.size() + t.removes.size()) * 8 +
         64;
}

bool VectorQueue::HasRoom(const PerIndex& q) const {
  // An index with nothing queued always gets one task in, so a small index is never held back
  // by a large one; the per-index bound then applies from its second task on.
  if (q.bytes == 0) return true;
  return q.bytes < limits_.max_index_bytes && q.vectors < limits_.max_index_vectors &&
         total_bytes_ < limits_.max_total_bytes;
}

void VectorQueue::Push(VectorTask task) {
  const Index* key = task.index.get();
  size_t bytes = BytesOf(task), vectors = VectorsOf(task);
  std::unique_lock lock(mu_);
  space_cv_.wait(lock, [&] { return stopping_ || HasRoom(per_index_[key]); });
  PerIndex& q = per_index_[key];
  if (q.tasks.empty()) ready_.push_back(key);
  q.bytes += bytes;
  q.vectors += vectors;
  q.tasks.push_back(std::move(task));
  total_bytes_ += bytes;
  ++total_tasks_;
  work_cv_.notify_one();
}

bool VectorQueue::Pop(VectorBatch* batch) {
  std::unique_lock lock(mu_);
  work_cv_.wait(lock, [&] { return !ready_.empty() || stopping_; });
  if (ready_.empty()) return false;
  const Index* key = ready_.front();
  ready_.pop_front();
  PerIndex& q = per_index_[key];
  VectorTask& task = batch->task;
  task = std::move(q.tasks.front());
  q.tasks.pop_front();
  batch->merged = 1;
  batch->bytes = BytesOf(task);
  batch->vectors = VectorsOf(task);
  // A task with removes is never appended (its removes would run before the batch's adds);
  // add-only tasks may follow, since a batch applies its removes before its adds.
  while (!q.tasks.empty() && task.add_labels.size() < limits_.max_merged_labels) {
    VectorTask& next = q.tasks.front();
    if (next.field != task.field || !next.removes.empty() ||
        (task.max_seq < 0) != (next.max_seq < 0)) {
      break;
    }
    task.max_seq = std::max(task.max_seq, next.max_seq);
    batch->bytes += BytesOf(next);
    batch->vectors += VectorsOf(next);
    task.add_labels.insert(task.add_labels.end(), next.add_labels.begin(),
                           next.add_labels.end());
    task.add_vectors.insert(task.add_vectors.end(), next.add_vectors.begin(),
                            next.add_vectors.end());
    q.tasks.pop_front();
    ++batch->merged;
  }
  total_tasks_ -= static_cast<size_t>(batch->merged);
  if (!q.tasks.empty()) ready_.push_back(key);  // round-robin: back of the line
  return true;
}

void VectorQueue::Done(const VectorBatch& batch) {
  {
    std::lock_guard lock(mu_);
    auto it = per_index_.find(batch.task.index.get());
    if (it != per_index_.end()) {
      it->second.bytes -= std::min(it->second.bytes, batch.bytes);
      it->second.vectors -= std::min(it->second.vectors, batch.vectors);
      if (it->second.tasks.empty() && it->second.bytes == 0) per_index_.erase(it);
    }
    total_bytes_ -= std::min(total_bytes_, batch.bytes);
  }
  space_cv_.notify_all();
}

void VectorQueue::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  space_cv_.notify_all();
}

size_t VectorQueue::queued_bytes() const {
  std::lock_guard lock(mu_);
  return total_bytes_;
}

size_t VectorQueue::queued_vectors() const {
  std::lock_guard lock(mu_);
  size_t vectors = 0;
  for (const auto& [index, q] : per_index_) vectors += q.vectors;
  return vectors;
}

size_t VectorQueue::queued_tasks() const {
  std::lock_guard lock(mu_);
  return total_tasks_;
}

}  // namespace lookalike::engine
