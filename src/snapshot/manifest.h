// The two JSON documents of a snapshot repository (docs/formats/snapshot-repository.md):
//
//   index.json               the repository index: every snapshot with its state, times, indices
//                            and the SHA-256 of its manifest (rewritten atomically on change)
//   snapshots/<uuid>.json    one snapshot's manifest: per index its metadata and its files,
//                            each file → blob (SHA-256 of the content), size
//
// Parsing is strict (unknown format version, wrong types, bad blob names and duplicate file
// names are Corruption) because both documents come from a shared file system that anyone may
// have edited; limits keep a hostile file from costing more than its size.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"

namespace lookalike::snapshot {

/// What a manifest file entry holds.
enum class FileKind : uint8_t {
  kRecords = 0,  // a record chunk (record_chunks.h), restored in manifest order
  kVectors = 1,  // a vector-index snapshot file, restored under its name
};

struct ManifestFile {
  std::string name;  // "records-000000" or the vector file's name ("v0.lkv")
  FileKind kind = FileKind::kRecords;
  std::string blob;  // SHA-256 hex of the content: the blob's name and its checksum
  uint64_t size = 0;
};

struct ManifestIndex {
  std::string name;
  std::string meta_json;  // the index metadata as the engine stored it
  int64_t docs_count = 0;
  std::vector<ManifestFile> files;
};

struct SnapshotManifest {
  std::string snapshot;
  std::string uuid;
  int64_t start_time_ms = 0;
  int64_t end_time_ms = 0;
  std::vector<ManifestIndex> indices;
};

std::string EncodeManifest(const SnapshotManifest& manifest);
/// Corruption on anything malformed.
Result<SnapshotManifest> ParseManifest(std::string_view json);

/// One snapshot as the repository index lists it.
struct SnapshotEntry {
  std::string snapshot;
  std::string uuid;
  std::string state = "SUCCESS";
  int64_t start_time_ms = 0;
  int64_t end_time_ms = 0;
  std::vector<std::string> indices;
  std::string manifest_sha256;
  // What this snapshot added to the repository (the rest was shared with earlier snapshots).
  uint64_t total_files = 0, total_bytes = 0, new_files = 0, new_bytes = 0;
};

struct RepositoryIndex {
  std::vector<SnapshotEntry> snapshots;  // in creation order
  const SnapshotEntry* Find(std::string_view snapshot) const;
};

std::string EncodeRepositoryIndex(const RepositoryIndex& index);
Result<RepositoryIndex> ParseRepositoryIndex(std::string_view json);

/// Elasticsearch's snapshot name rules; InvalidArgument (invalid_snapshot_name_exception).
Status ValidateSnapshotName(std::string_view repository, std::string_view name);

}  // namespace lookalike::snapshot
