// The wire format of a write batch: the typed writes (lookalike/write_ops.h) one shard's stream
// carries in one JetStream message. Versioned and checksummed; byte layout in
// docs/formats/write-batch.md. Encoding then decoding gives back every WriteOp field exactly
// (strings as bytes, floats bit for bit).
//
// Thread safety: free functions without shared state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"
#include "lookalike/write_ops.h"

namespace lookalike::cluster {

inline constexpr char kWriteBatchMagic[4] = {'L', 'K', 'W', 'B'};
/// The version EncodeWriteBatch writes. Version 1 (no primary term) is still read.
inline constexpr uint16_t kWriteBatchVersion = 2;
inline constexpr size_t kWriteBatchHeaderSize = 20;

/// One decoded batch.
struct WriteBatch {
  uint16_t version = kWriteBatchVersion;  // as read (1 or 2)
  /// The shard's primary term the coordinator published under (1 in a version-1 batch).
  int64_t primary_term = 1;
  std::vector<WriteOp> ops;
};

/// Serialises `ops` (any number, including none) as a current-version batch. Only the fields
/// a client gives are carried (WriteOp::log_seq_no and ::primary_term are not: the copy sets
/// them from the stream sequence and `primary_term`).
std::string EncodeWriteBatch(const std::vector<WriteOp>& ops, int64_t primary_term = 1);

/// Parses a batch made by EncodeWriteBatch (this version or version 1). Corruption for
/// anything else: wrong magic, a checksum mismatch, truncation, trailing bytes, an unknown
/// write kind, a primary term below 1; Unsupported for a newer version. Never reads outside
/// `bytes` and never allocates more than `bytes` justifies.
Result<WriteBatch> DecodeWriteBatch(std::string_view bytes);

}  // namespace lookalike::cluster
