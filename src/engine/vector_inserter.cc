// The vector inserter thread (vector_inserter.h).
#include "engine/vector_inserter.h"

#include <filesystem>

namespace lookalike::engine {

namespace fs = std::filesystem;

VectorInserter::VectorInserter(storage::DocStore* store, Options options,
                               RefusalLogger log_refused)
    : store_(store), options_(options), log_refused_(std::move(log_refused)) {
  thread_ = std::thread([this] { Loop(); });
}

VectorInserter::~VectorInserter() { Stop(); }

void VectorInserter::Stop() {
  queue_.Stop();
  if (thread_.joinable()) thread_.join();
}

void VectorInserter::WaitIdle(Index* index) {
  index->WaitNoPendingVectors();
}

void VectorInserter::Enqueue(VectorTask task) {
  task.index->AddPendingVectors(1);
  queue_.Push(std::move(task));
}

void VectorInserter::Loop() {
  VectorBatch batch;
  while (queue_.Pop(&batch)) {
    Index* index = batch.task.index.get();
    VectorField* found = nullptr;
    if (!index->dropped) {
      // The map may gain entries (PUT _mapping) under data_mu; entries are never removed, so
      // the pointer stays valid after the short shared lock.
      std::shared_lock lock(index->data_mu);
      auto it = index->vectors.find(batch.task.field);
      if (it != index->vectors.end()) found = it->second.get();
    }
    if (found) ApplyVectorTask(index, found, batch.task);
    queue_.Done(batch);
    index->DonePendingVectors(batch.merged);
    batch = VectorBatch{};  // drops the Index reference before waiting again
  }
}

void VectorInserter::ApplyVectorTask(Index* index, VectorField* vf, const VectorTask& task) {
  VectorIndex* vi = vf->index.get();
  for (uint64_t label : task.removes) {
    if (!vf->nested) {
      if (vi->Contains(label)) (void)vi->Remove(label);
      continue;
    }
    // A nested document's labels are NestedLabel(docnum, 0..n-1), contiguous: remove them all.
    const uint32_t docnum = static_cast<uint32_t>(label);
    for (uint32_t ordinal = 0; vi->Contains(NestedLabel(docnum, ordinal)); ++ordinal) {
      (void)vi->Remove(NestedLabel(docnum, ordinal));
    }
  }
  if (!task.add_labels.empty()) {
    Status s = vi->AddBatch(task.add_labels.size(), task.add_labels.data(),
                            task.add_vectors.data(), options_.threads);
    if (!s.ok()) {
      // Vectors were validated at write time; add one by one so one bad apple cannot keep the
      // others out.
      size_t dim = vi->dim();
      for (size_t i = 0; i < task.add_labels.size(); ++i) {
        (void)vi->Add(task.add_labels[i], task.add_vectors.data() + i * dim);
      }
    }
  }
  vf->unsaved += task.add_labels.size() + task.removes.size();
  if (task.max_seq >= 0) {
    vf->applied_seq = task.max_seq;
    MaybeAutoSnapshot(index, vf);
  }
}

void VectorInserter::MaybeAutoSnapshot(Index* index, VectorField* vf) {
  size_t limit = options_.auto_snapshot_vectors;
  if (limit == 0 || vf->unsaved < limit || index->dropped || index->recovering) return;
  // Runs on the inserter thread, which is the only writer of vector indices, so no Add runs
  // while Save does; searches go on. SnapshotIndex cannot overlap: it waits for pending tasks,
  // and this task is still pending.
  std::error_code ec;
  fs::create_directories(index->snapshot_dir, ec);
  Status s = vf->index->Save(index->SnapshotPath(*vf));
  if (s.ok()) s = store_->SetSnapshotSeq(index->space, vf->field, vf->applied_seq);
  if (s.ok()) {
    vf->unsaved = 0;
  } else {
    log_refused_("automatic vector snapshot", index->name, 1, 1, s);
    vf->unsaved = limit / 2;  // retry later, not after every task
  }
}

}  // namespace lookalike::engine
