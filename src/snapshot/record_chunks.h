// Record chunks: an index's stored records (RocksDB keys and values) as repository blobs.
//
// The records of an index are cut into chunks at boundaries that depend only on the keys
// around them (content-defined), so a chunk whose records did not change encodes to the same
// bytes, hashes to the same blob and is not copied again by the next snapshot; an append only
// changes the last chunks. Format (docs/formats/snapshot-repository.md):
//   "LKRC" | u32 version (1) | u32 record count | count × (u32 key_len | key | u32 value_len |
//   value)
// Integrity comes from the blob's SHA-256, checked before a chunk is decoded.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "lookalike/index_files.h"
#include "lookalike/status.h"

namespace lookalike::snapshot {

/// Groups records into chunks and hands each finished chunk to `emit`.
class RecordChunker {
 public:
  using Emit = std::function<Status(std::string chunk)>;
  /// min_bytes: no boundary below it (except a change of record class); max_bytes: always a
  /// boundary above it. The defaults give chunks of a few MB.
  explicit RecordChunker(Emit emit, size_t min_bytes = 1 << 20, size_t max_bytes = 64 << 20);
  Status Add(std::string_view key, std::string_view value);
  /// Emits the last chunk (if any).
  Status Finish();

 private:
  Status Flush();
  Emit emit_;
  size_t min_bytes_, max_bytes_;
  std::string chunk_;
  uint32_t count_ = 0;
  int last_class_ = -1;
};

/// Calls sink for every record of an encoded chunk; Corruption when it is malformed.
Status ForEachChunkRecord(std::string_view chunk, const IndexRecordSink& sink);

}  // namespace lookalike::snapshot
