// Recovery: what opening a data directory does for one stored index. LoadStoredIndex parses the
// metadata, maps the vector snapshots, scans the documents (small records: sources without
// vectors) into the _id map and field structures and finds the documents and deletes newer
// than each field's snapshot; RunRecoveryJob later queues their catch-up for the inserter in
// chunks, in the background, while the node already answers.
//
// Thread safety: LoadStoredIndex works on an index nobody else sees yet. RunRecoveryJob takes
// the index's write_mu per chunk (a document rewritten meanwhile has a newer seq_no and its own
// later task, so its stale stored vector is skipped) and releases the job's pending_vectors
// token at the end; it may block in VectorInserter::Enqueue.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/index.h"
#include "engine/vector_inserter.h"
#include "storage/doc_store.h"

namespace lookalike::engine {

/// Vector catch-up work found while opening an index (see RunRecoveryJob).
struct RecoveryJob {
  std::shared_ptr<Index> index;
  std::map<std::string, int64_t> covered;                // field → snapshot seq_no (-1: none)
  std::vector<std::pair<uint32_t, int64_t>> docs;        // (docnum, seq_no) newer than a snapshot
  std::vector<std::pair<uint32_t, int64_t>> tombstones;  // (docnum, seq_no of the delete)
  // Held by the tasks that replay the tombstones: free document numbers wait for it, or a
  // replayed remove could hit a document that reused the number.
  DocnumPool::Token docnums_token;
};

/// Loads stored index `name` (its metadata JSON `meta`) from `store` and the vector snapshots
/// under `data_dir`/vectors/<uuid>; stores the metadata again when loading added dynamic fields
/// or snapshot file names. Fills `*job` with the catch-up work (job->index is the result). The
/// index is not published anywhere and no pending_vectors token is taken yet.
Result<std::shared_ptr<Index>> LoadStoredIndex(storage::DocStore* store,
                                               const std::string& data_dir,
                                               const std::string& name, const std::string& meta,
                                               RecoveryJob* job);

/// Queues the catch-up of one loaded index on `inserter` in chunks of 1,024 documents, unless
/// `abort` is set or the index is dropped; then clears Index::recovering (if not aborted) and
/// releases the one pending_vectors unit the job's publisher took.
void RunRecoveryJob(RecoveryJob& job, storage::DocStore* store, VectorInserter* inserter,
                    const std::atomic<bool>& abort);

}  // namespace lookalike::engine
