// The files of one index as a snapshot repository sees them (issue 13, snapshot and restore).
//
// Engine::CaptureIndex hands out an IndexCapture: a point-in-time view of one index — its
// metadata, every stored record (the index's RocksDB column family, read through one implicit
// RocksDB snapshot) and its vector-index snapshot files (held open, so a newer vector snapshot
// renamed over them meanwhile does not change what is read). The view is consistent: the
// records contain every write acknowledged before the capture, and the vector files cover at
// least the sequence numbers the captured records say they cover (recovery replays the rest).
//
// Engine::RestoreIndex takes an IndexRestoreSource — the same three things, coming back from a
// repository — and opens them as a new index: records and vector files are written where no
// index sees them, and only when all of them were read and verified does the index's metadata
// appear (one atomic write). A failure at any point leaves nothing behind.
//
// Thread safety: an IndexCapture or IndexRestoreSource is used by one thread at a time. A
// capture must not outlive the engine that made it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"

namespace lookalike {

/// Receives one stored record (key and value bytes, valid only during the call).
using IndexRecordSink = std::function<Status(std::string_view key, std::string_view value)>;
/// Receives consecutive pieces of a file (valid only during the call).
using FileChunkSink = std::function<Status(std::string_view bytes)>;

class IndexCapture {
 public:
  virtual ~IndexCapture() = default;
  /// The index's name and its stored metadata (JSON, docs/formats/storage.md).
  virtual const std::string& name() const = 0;
  virtual const std::string& meta_json() const = 0;
  /// Live documents at the capture.
  virtual int64_t docs_count() const = 0;
  /// Every stored record in key order, as of the capture. May be called once.
  virtual Status ForEachRecord(const IndexRecordSink& sink) = 0;
  /// The vector-index snapshot files (plain names, e.g. "v0.lkv"); empty when none exist yet.
  virtual std::vector<std::string> FileNames() const = 0;
  /// The bytes of one of FileNames(), as they were at the capture.
  virtual Status ReadFile(const std::string& name, const FileChunkSink& sink) = 0;
};

class IndexRestoreSource {
 public:
  virtual ~IndexRestoreSource() = default;
  /// The metadata the capture had (the restore gives the index a new uuid).
  virtual const std::string& meta_json() const = 0;
  /// Every record, in the order the capture gave them; a record that fails verification ends
  /// the call with its error (Corruption).
  virtual Status ForEachRecord(const IndexRecordSink& sink) = 0;
  virtual std::vector<std::string> FileNames() const = 0;
  /// Creates `path` with the verified bytes of file `name` (synced); Corruption on a mismatch.
  virtual Status WriteFile(const std::string& name, const std::string& path) = 0;
};

}  // namespace lookalike
