// Recovery: an index's stored metadata and documents → a loaded Index plus the catch-up of its
// vector indices (recovery.h).
#include "engine/recovery.h"

#include <algorithm>
#include <filesystem>

#include "common/file_env.h"
#include "engine/json_util.h"

namespace lookalike::engine {

namespace fs = std::filesystem;

Result<std::shared_ptr<Index>> LoadStoredIndex(storage::DocStore* store,
                                               const std::string& data_dir,
                                               const std::string& name, const std::string& meta,
                                               RecoveryJob* job_out) {
  simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(element root, ParseStoredJson(parser, meta));
  auto index = std::make_shared<Index>();
  index->name = name;
  LOOKALIKE_RETURN_IF_ERROR(index->LoadMeta(root));
  index->space = store->Space(index->uuid);
  if (!index->space) return Status::Corruption("no column family for index " + name);
  index->snapshot_dir = data_dir + "/vectors/" + index->uuid;
  RemoveStaleTemporaryFiles(index->snapshot_dir);  // snapshots a crash interrupted
  bool files_changed = false;
  LOOKALIKE_RETURN_IF_ERROR(index->SyncVectorFields(/*loading=*/true, &files_changed));
  // Vector snapshots: load what exists; remember the seq_no each covers.
  std::map<std::string, int64_t> covered;
  for (auto& [field, vf] : index->vectors) {
    int64_t seq = store->GetSnapshotSeq(index->space, field);
    std::string path = index->SnapshotPath(*vf);
    if (seq >= 0 && fs::exists(path)) {
      auto loaded = LoadVectorIndex(path);
      if (loaded.ok() && (*loaded)->dim() == vf->spec.dim && (*loaded)->metric() == vf->spec.metric) {
        vf->index = std::move(loaded).value();
        vf->loaded_from_snapshot = true;
        vf->snapshot_seq_no = seq;
        covered[field] = seq;
        continue;
      }
    }
    covered[field] = -1;  // rebuild this field from the documents
  }
  int64_t min_covered = INT64_MAX;
  for (const auto& [f, s] : covered) min_covered = std::min(min_covered, s);
  LOOKALIKE_RETURN_IF_ERROR(store->GetCounters(index->space, &index->last_seq, &index->next_doc));
  std::vector<uint32_t> catch_up;
  bool mapping_changed = false;
  {
    std::unique_lock lock(index->data_mu, std::defer_lock);
    simdjson::dom::parser doc_parser;
    LOOKALIKE_RETURN_IF_ERROR(store->ScanDocs(index->space, [&](storage::DocRecord&& doc) {
      auto parsed = ParseStoredJson(doc_parser, doc.source);
      if (!parsed.ok()) return Status::Corruption("stored source of " + doc.id);
      PreparedDoc prepared;
      bool changed = false;
      Status s = index->PrepareDocument(*parsed, &prepared, &changed, /*enforce_limits=*/false);
      mapping_changed |= changed;
      if (!s.ok()) prepared.values.clear();  // keep the document; it was valid when written
      lock.lock();
      index->ApplyDoc(doc.docnum, doc.id, doc.version, doc.seq_no, prepared);
      lock.unlock();
      index->next_doc = std::max(index->next_doc, doc.docnum + 1);
      index->last_seq = std::max(index->last_seq, doc.seq_no);
      if (doc.seq_no > min_covered) catch_up.push_back(doc.docnum);
      return Status::OK();
    }));
  }
  if (mapping_changed || files_changed) {
    LOOKALIKE_RETURN_IF_ERROR(store->PutIndexMeta(name, index->MetaJson()));
  }
  // Catch the vector indices up with documents written after their snapshots — in the
  // background (RunRecoveryJob), so the node answers while a large tail is re-inserted. A token in
  // pending_vectors makes _refresh wait for it; snapshots are skipped until it is done.
  RecoveryJob job;
  job.index = index;
  job.covered = std::move(covered);
  for (uint32_t docnum : catch_up) job.docs.emplace_back(docnum, index->slots[docnum].seq_no);
  LOOKALIKE_RETURN_IF_ERROR(store->ScanTombstones(index->space, [&](uint32_t docnum, int64_t seq) {
    job.tombstones.emplace_back(docnum, seq);
  }));
  if (!job.tombstones.empty()) job.docnums_token = DocnumPool::NewToken();
  index->RebuildFreeDocnums(job.docnums_token);
  *job_out = std::move(job);
  return index;
}

void RunRecoveryJob(RecoveryJob& job, storage::DocStore* store, VectorInserter* inserter,
                    const std::atomic<bool>& abort) {
  Index* index = job.index.get();
  bool first = true;
  size_t next = 0;
  while (!abort && !index->dropped && (first || next < job.docs.size())) {
    // Chunks run under write_mu: a document rewritten meanwhile has a newer seq_no and its own
    // (later) task, so its stale stored vector is skipped; one rewritten after this chunk
    // queues behind it. Either way the newest vector is applied last.
    std::lock_guard<std::mutex> wl(index->write_mu);
    if (index->dropped) break;
    size_t end = std::min(job.docs.size(), next + 1024);
    for (auto& [field, vf] : index->vectors) {
      int64_t covered = job.covered.count(field) ? job.covered[field] : -1;
      VectorTask task;
      task.index = job.index;
      task.field = field;
      if (first) {
        for (const auto& [docnum, seq] : job.tombstones) {
          if (seq > covered) task.removes.push_back(docnum);
        }
        task.applied_token = job.docnums_token;
      }
      std::vector<storage::StoredVector> vecs;
      for (size_t i = next; i < end; ++i) {
        auto [docnum, seq] = job.docs[i];
        if (seq <= covered) continue;
        const DocSlot& slot = index->slots[docnum];
        if (!slot.live || slot.seq_no != seq) continue;
        if (!store->GetVectors(index->space, docnum, &vecs).ok()) continue;
        const size_t before = task.add_labels.size();
        CollectFieldVectors(*vf, docnum, vecs, &task.add_labels, &task.add_vectors);
        // A nested document's snapshot labels may be more than it holds now: remove them all
        // first (the task's removes run before its adds).
        if (task.add_labels.size() == before || vf->nested) task.removes.push_back(docnum);
      }
      if (!task.add_labels.empty() || !task.removes.empty()) {
        vf->replayed_on_open += int64_t(task.add_labels.size() + task.removes.size());
        inserter->Enqueue(std::move(task));
      }
    }
    first = false;
    job.docnums_token.reset();  // the tombstone removes are queued (or there were none)
    next = end;
  }
  job.docnums_token.reset();
  if (!abort && !index->dropped) index->recovering = false;
  index->DonePendingVectors(1);
}

}  // namespace lookalike::engine
