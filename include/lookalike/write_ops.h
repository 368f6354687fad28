// Typed write items and their per-item results: what Engine::Write and Engine::WriteDocument
// take and return. No JSON parsing and no HTTP here: the Elasticsearch/OpenSearch codec at the
// edge (src/server/es/) turns _bulk NDJSON and single-document requests into WriteOps and
// renders WriteOutcomes (HTTP statuses and exception names come from the server's one error
// table, src/server/error_mapping.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"

namespace lookalike {

/// Optimistic concurrency control (?if_seq_no=N&if_primary_term=T, or the same keys in a _bulk
/// action): the write happens only if the document exists with that _seq_no and _primary_term
/// (always 1 on a single node; on a cluster shard copy see WriteOp::primary_term); otherwise
/// 409 version_conflict_engine_exception.
struct WriteCondition {
  int64_t if_seq_no = -1;        // -1 = not set
  int64_t if_primary_term = -1;  // -1 = not set
  bool active() const { return if_seq_no >= 0 || if_primary_term >= 0; }
  /// Both or neither must be set (action_request_validation_exception otherwise).
  Status Validate() const;
};

/// A vector handed to the engine as a value rather than inside the source text (e.g. computed
/// by an image embedder). `path` names a top-level vector field of the index's mapping.
struct FieldVector {
  std::string path;
  std::vector<float> values;
};

enum class WriteKind : uint8_t {
  kIndex = 0,   // create or overwrite
  kCreate = 1,  // 409 version_conflict_engine_exception if the id exists
  kUpdate = 2,  // merge a partial document into the stored one (or upsert)
  kDelete = 3,
};

/// One write. The engine validates everything that depends on stored state or the mapping;
/// the codec has already checked the request's shape.
struct WriteOp {
  WriteKind kind = WriteKind::kIndex;
  std::string index;
  /// Empty for kIndex/kCreate: the engine generates a 20-character id. Required for
  /// kUpdate/kDelete (an empty one fails the item).
  std::string id;
  /// kIndex/kCreate: the document, JSON object bytes (stored as the _source, as given).
  std::string source;
  /// kUpdate: the "doc" object (JSON text) merged into the stored document, recursively.
  std::optional<std::string> partial_doc;
  /// kUpdate: the "upsert" object (JSON text) written when the document does not exist.
  std::optional<std::string> upsert;
  /// kUpdate: a missing document is created from partial_doc.
  bool doc_as_upsert = false;
  WriteCondition condition;
  /// Vectors set on the written document as if its source held them at top level: they are
  /// validated against the mapping like source vectors and become part of the stored _source
  /// (GET returns them after the source's own members). A field present both here and in the
  /// source fails the item. For kUpdate they apply to the merged (or doc_as_upsert) document.
  std::vector<FieldVector> vectors;
  /// kUpdate: the vectors for the document created from `upsert`.
  std::vector<FieldVector> upsert_vectors;

  // Set only by a cluster shard copy applying its stream (src/cluster/shard_applier.h), never
  // by the codec and never carried in a write batch: the batch's stream sequence and the
  // shard's primary term it was published under. With log_seq_no ≥ 0 the written document's
  // _seq_no is log_seq_no (ops of one batch share it) instead of the index's own counter, so
  // every copy stores the same _seq_no; an op whose log_seq_no is not above the index's last
  // stored _seq_no was already applied (a group applied again after a crash) and is skipped
  // with WriteOutcome::replayed. These ops must come in non-decreasing log_seq_no order and
  // be the only writes to their index.
  int64_t log_seq_no = -1;
  /// The term reported as _primary_term; if_primary_term must lie in [1, primary_term] (the
  /// stream sequence alone names a write: it is never reused across terms).
  int64_t primary_term = 1;
};

enum class WriteResultKind : uint8_t { kCreated, kUpdated, kDeleted, kNotFound, kNoop };

/// "created", "updated", "deleted", "not_found", "noop".
std::string_view WriteResultName(WriteResultKind result);

/// What happened to one WriteOp. `status` is OK when the write was applied (or was a noop /
/// a delete of a missing document); otherwise it says why the item failed and only `index`
/// and `id` (as far as known: a generated id is known once the item reached its index) are set.
struct WriteOutcome {
  std::string index;
  std::string id;
  int64_t version = 0;
  int64_t seq_no = 0;
  int64_t primary_term = 1;
  WriteResultKind result = WriteResultKind::kCreated;
  Status status;
  /// The op carried a log_seq_no the index had already stored: skipped, nothing decided.
  bool replayed = false;
};

}  // namespace lookalike
