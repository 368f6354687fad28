// VectorQueue: the work queue between the write path and the background vector inserter.
//
// Writes store their documents first and then queue the vector work here; one inserter thread
// applies it. Two properties matter for a server under mixed load:
//   - Order per index: tasks of one index come out in the order they went in, so a delete and a
//     re-add of the same label (or two writes of one document) reach the vector index in order.
//   - Fairness across indices: indices with queued work are served round-robin, so a
//     `refresh=true` write to a small index waits for at most one batch of every other index,
//     not for the whole backlog of a large bulk load.
// Memory is bounded per index (bytes and vectors) and in total. A writer whose index is over its
// bound waits in Push (backpressure on that index only); the total bound holds back only
// indices that already have work queued, so a small index is never starved by a large one.
//
// Thread safety: every member function may be called from any thread; one mutex guards all
// state. Budget is held from Push until the inserter calls Done for the popped batch.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/docnum_pool.h"

namespace lookalike::engine {

class Index;

/// A batch of vector-index work for one field of one index.
struct VectorTask {
  std::shared_ptr<Index> index;
  std::string field;
  std::vector<uint64_t> add_labels;
  std::vector<float> add_vectors;  // add_labels.size() * dim
  std::vector<uint64_t> removes;   // applied before the adds
  int64_t max_seq = -1;            // last seq_no of the writes in this task (-1: catch-up)
  // Kept alive until the task's removes were applied (the inserter destroys the task after
  // applying it): document numbers freed by the same write wait for it before they are reused
  // (see DocnumPool). A task with removes is therefore never destroyed before it ran; Pop only
  // folds add-only tasks into a batch, and dropping their tokens early frees nothing whose
  // removal is still queued (every removal sits in a task with removes, which keeps the token).
  DocnumPool::Token applied_token;
};

struct VectorQueueLimits {
  size_t max_index_bytes = size_t{256} << 20;  // queued bytes of one index
  size_t max_index_vectors = 65536;            // queued vectors (adds + removes) of one index
  size_t max_total_bytes = size_t{512} << 20;  // queued bytes of all indices
  size_t max_merged_labels = 8192;             // adds coalesced into one inserter batch
};

/// What Pop hands to the inserter: a task (possibly several queued tasks of the same index and
/// field coalesced) and the budget to give back with Done.
struct VectorBatch {
  VectorTask task;
  int64_t merged = 0;  // queued tasks folded into `task`
  size_t bytes = 0;
  size_t vectors = 0;
};

class VectorQueue {
 public:
  explicit VectorQueue(VectorQueueLimits limits = {}) : limits_(limits) {}

  /// Queues `task`, waiting while its index is over its bound (or the total is over and the
  /// index already has work queued). After Stop it queues without waiting.
  void Push(VectorTask task);

  /// Waits for work; false once stopped and empty. Consecutive queued tasks of the same index
  /// and field are coalesced while the later ones have no removes (graph insertion parallelises
  /// better over thousands of vectors than over one bulk request's few hundred).
  bool Pop(VectorBatch* batch);

  /// Returns the budget of a batch from Pop after it was applied; wakes waiting writers.
  void Done(const VectorBatch& batch);

  /// Wakes every waiter; Push stops waiting and Pop returns false once the queue is empty.
  void Stop();

  size_t queued_bytes() const;
  size_t queued_tasks() const;
  /// Vectors (adds + removes) queued or being applied, over every index: accepted writes whose
  /// vectors are not in the vector index yet.
  size_t queued_vectors() const;

 private:
  struct PerIndex {
    std::deque<VectorTask> tasks;
    size_t bytes = 0;    // queued and in-flight
    size_t vectors = 0;  // queued and in-flight
  };
  static size_t BytesOf(const VectorTask& t);
  static size_t VectorsOf(const VectorTask& t) { return t.add_labels.size() + t.removes.size(); }
  bool HasRoom(const PerIndex& q) const;

  const VectorQueueLimits limits_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // Pop waits for tasks
  std::condition_variable space_cv_;  // Push waits for budget
  std::map<const Index*, PerIndex> per_index_;
  std::deque<const Index*> ready_;    // indices with queued tasks, round-robin order
  size_t total_bytes_ = 0;
  size_t total_tasks_ = 0;
  bool stopping_ = false;
};

}  // namespace lookalike::engine
