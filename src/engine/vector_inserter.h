// The vector inserter: the one thread that applies queued vector work (VectorTask, from the
// writer and from recovery) to the vector indices, coalescing consecutive adds of a field, and
// snapshots a field on its own after many applied vectors.
//
// Thread safety / invariants:
//   Enqueue may be called from any thread; the queue (vector_queue.h) is internally
//   synchronised and bounded, so Enqueue blocks while it is full. Tasks are applied in FIFO
//   order per index, so two versions of a document reach the vector index in write order.
//   The inserter thread is the only one that adds to or removes from a vector index and the
//   only one touching VectorField::applied_seq and ::unsaved, so its own snapshot runs with no
//   concurrent Add (searches go on). Each queued task holds one unit of its index's
//   pending_vectors (under Index::pending_mu); WaitIdle waits for them to drain. Never call
//   WaitIdle holding an index's data_mu.
#pragma once

#include <functional>
#include <string_view>
#include <thread>

#include "engine/index.h"
#include "engine/vector_queue.h"
#include "storage/doc_store.h"

namespace lookalike::engine {

class VectorInserter {
 public:
  struct Options {
    int threads = 0;                     // EngineOptions::threads, for AddBatch
    size_t auto_snapshot_vectors = 0;    // EngineOptions::auto_snapshot_vectors, 0 = never
  };
  /// Records a failed automatic snapshot (the engine's rate-limited refusal log).
  using RefusalLogger = std::function<void(std::string_view what, std::string_view index,
                                           size_t refused, size_t total, const Status& first)>;

  /// Starts the thread. `store` must outlive the inserter.
  VectorInserter(storage::DocStore* store, Options options, RefusalLogger log_refused);
  /// Stop().
  ~VectorInserter();
  VectorInserter(const VectorInserter&) = delete;
  VectorInserter& operator=(const VectorInserter&) = delete;

  /// Queues `task` and counts it in its index's pending_vectors (blocks while the queue is
  /// full).
  void Enqueue(VectorTask task);
  /// Waits until every task queued for `index` (and a recovery token) is applied.
  static void WaitIdle(Index* index);
  /// Applies what is queued, then ends the thread. Idempotent.
  void Stop();

  size_t queued_vectors() const { return queue_.queued_vectors(); }
  size_t queued_bytes() const { return queue_.queued_bytes(); }

 private:
  void Loop();
  /// Applies one (coalesced) task to a field's vector index; inserter thread only.
  void ApplyVectorTask(Index* index, VectorField* field, const VectorTask& task);
  /// Called after applying a task: snapshots a field that has accumulated many unsaved
  /// vectors, so a crash does not mean re-inserting everything.
  void MaybeAutoSnapshot(Index* index, VectorField* field);

  storage::DocStore* store_;
  Options options_;
  RefusalLogger log_refused_;
  VectorQueue queue_;
  std::thread thread_;  // declared last: started once the members above exist
};

}  // namespace lookalike::engine
