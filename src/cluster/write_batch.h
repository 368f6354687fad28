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
inline constexpr uint16_t kWriteBatchVersion = 1;
inline constexpr size_t kWriteBatchHeaderSize = 20;

/// Serialises `ops` (any number, including none).
std::string EncodeWriteBatch(const std::vector<WriteOp>& ops);

/// Parses a batch made by EncodeWriteBatch. Corruption for anything else: wrong magic, a
/// checksum mismatch, truncation, trailing bytes, an unknown write kind; Unsupported for a
/// newer version. Never reads outside `bytes` and never allocates more than `bytes` justifies.
Result<std::vector<WriteOp>> DecodeWriteBatch(std::string_view bytes);

}  // namespace lookalike::cluster
