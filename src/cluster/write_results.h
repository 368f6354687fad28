// Per-item results of applied write batches (issue 9): what a shard copy decided for each op of
// a batch when it applied it (created or updated, the _version, a create of an existing id, a
// document that does not fit the mapping …). Every copy applies the same batches in the same
// order from the same state, so every copy decides the same; the coordinator that published a
// batch asks one copy (the primary first) for the batch's results and answers the client with
// them (src/server/handlers/cluster_writes.cc).
//
// WriteResultRing: the latest results a copy decided, bounded (oldest dropped first), in
// memory only: results of batches applied before a restart, or dropped, are simply unknown
// (the coordinator then answers with the stream's acknowledgement alone).
//
// Wire format (GET /_internal/shards/{copy}/_write_results?seq=N; docs/formats/write-results.md):
// the 16-byte frame of wire_coding.h with magic "LKWR", then a u32 count and per item: u8
// result, u8 status code, u8 error kind, the message as a string (empty when the code is OK),
// i64 _version, i64 _seq_no, i64 _primary_term. `index` and `id` do not travel (the
// coordinator knows them).
//
// Thread safety: the ring may be used from any thread; the codec functions are pure.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lookalike/status.h"
#include "lookalike/write_ops.h"

namespace lookalike::cluster {

/// Encodes the outcomes' decisions (not their index and id).
std::string EncodeWriteResults(const std::vector<WriteOutcome>& outcomes);
/// Corruption for bytes EncodeWriteResults did not make (bad frame, an unknown result, code or
/// kind, a message on an OK item, truncation, trailing bytes); Unsupported for another version.
Result<std::vector<WriteOutcome>> DecodeWriteResults(std::string_view bytes);

class WriteResultRing {
 public:
  /// Keeps at least the latest batch and at most `max_items` outcomes beyond it.
  explicit WriteResultRing(size_t max_items = 65536) : max_items_(max_items) {}

  /// Records the outcomes of the batch at stream sequence `sequence` (increasing per call).
  void Add(uint64_t sequence, std::vector<WriteOutcome> outcomes);
  /// The outcomes recorded for `sequence`; NotFound when none are kept.
  Result<std::vector<WriteOutcome>> Get(uint64_t sequence) const;

 private:
  const size_t max_items_;
  mutable std::mutex mu_;
  std::deque<std::pair<uint64_t, std::vector<WriteOutcome>>> batches_;  // guarded by mu_
  size_t items_ = 0;                                                     // guarded by mu_
};

}  // namespace lookalike::cluster
