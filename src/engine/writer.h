// The writer: typed write items of one index → one durable batch → the in-memory structures →
// vector tasks for the inserter.
//
// Thread safety: a Writer holds no mutable state of its own. WriteIndexGroup takes the index's
// write_mu for the whole group (sequence and document numbers are assigned under it, in order)
// and its data_mu exclusively while applying the stored batch in memory; it may block in
// VectorInserter::Enqueue while the queue is full (holding write_mu, never data_mu).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/index.h"
#include "engine/vector_inserter.h"
#include "lookalike/write_ops.h"
#include "storage/doc_store.h"

namespace lookalike::engine {

/// A random 20-character URL-safe id (Elasticsearch-style auto ids; engine_impl.cc).
std::string GenerateDocId();

/// One write of Engine::Write() or WriteDocument() on its way through the engine.
struct WriteItem {
  WriteOp op;
  WriteOutcome out;  // out.status: per-item failure
};

class Writer {
 public:
  /// `store` and `inserter` must outlive the writer.
  Writer(storage::DocStore* store, VectorInserter* inserter)
      : store_(store), inserter_(inserter) {}

  /// Writes `items` (all of `index`, in order, none failed yet) with one synced batch. Per item:
  /// id and if_seq_no checks, update merge (with the stored document or an earlier item of the
  /// group), PrepareDocument against the mapping (dynamic fields are stored in the metadata
  /// first). Items that fail get their Status in `out`; the others get version, seq_no and
  /// result once the batch is durable. A failed batch fails every item written to it. Returns
  /// an error only when the index metadata could not be stored.
  Status WriteIndexGroup(const std::shared_ptr<Index>& index, std::vector<WriteItem*>& items);

 private:
  storage::DocStore* store_;
  VectorInserter* inserter_;
};

}  // namespace lookalike::engine
