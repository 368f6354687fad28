// Snapshot and restore of engine indices through an FsRepository (Elasticsearch's _snapshot
// API semantics; the REST handlers and the CLI both call these).
//
// Create: for every selected index the engine hands out a consistent capture
// (Engine::CaptureIndex); its records are cut into content-defined chunks and its vector files
// are hashed; only blobs the repository lacks are written; then the manifest, then index.json.
// Restore: the manifest is verified against index.json, every blob against its SHA-256 as it is
// read, and the engine opens the result as a new index only when everything was verified
// (Engine::RestoreIndex).
//
// Thread safety: the functions may run concurrently; changes to one repository are serialised
// by its lock (a second concurrent create/delete gets concurrent_snapshot_execution_exception).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lookalike/engine.h"
#include "snapshot/manifest.h"
#include "snapshot/repository.h"

namespace lookalike::snapshot {

struct CreateSnapshotRequest {
  std::string snapshot;
  std::string indices;  // comma-separated names and '*' patterns; "" / "_all" / "*" = all
  bool ignore_unavailable = false;
  bool flush_vectors = true;  // save vector indices first (like _flush) so restores replay less
};

struct RestoreSnapshotRequest {
  std::string snapshot;
  std::string indices;  // as above, matched against the snapshot's indices
  bool ignore_unavailable = false;
  std::string rename_pattern;      // ECMAScript regex; "" = keep the names
  std::string rename_replacement;  // "$1" refers to a group
};

struct RestoreResult {
  std::string snapshot;
  std::vector<std::string> indices;  // the restored (target) names
};

/// Creates a snapshot; `repository` names the repository in errors.
Result<SnapshotEntry> CreateSnapshot(Engine& engine, const FsRepository& repo,
                                     const std::string& repository,
                                     const CreateSnapshotRequest& request);
/// Snapshots by name ("_all" / "*" / comma list with '*' patterns); snapshot_missing_exception
/// (404) for a missing explicit name.
Result<std::vector<SnapshotEntry>> GetSnapshots(const FsRepository& repo,
                                                const std::string& repository,
                                                const std::string& names);
/// Removes the snapshot and every blob no remaining snapshot references.
Status DeleteSnapshot(const FsRepository& repo, const std::string& repository,
                      const std::string& snapshot);
Result<RestoreResult> RestoreSnapshot(Engine& engine, const FsRepository& repo,
                                      const std::string& repository,
                                      const RestoreSnapshotRequest& request);

/// A snapshot this process is creating now (GET _snapshot/_status).
struct RunningSnapshot {
  std::string repository;
  std::string snapshot;
  int64_t start_time_ms = 0;
  std::vector<std::string> indices;
};
/// The snapshots CreateSnapshot is working on in this process, of `repository` ("" = all).
std::vector<RunningSnapshot> RunningSnapshots(const std::string& repository);

/// Applies Elasticsearch's rename_pattern / rename_replacement to an index name.
Result<std::string> RenameIndex(const std::string& name, const std::string& pattern,
                                const std::string& replacement);
/// Comma-separated names and '*' patterns (a leading '-' excludes) matched against `names`.
/// NotFound naming the first explicit name that is absent (unless ignore_unavailable).
Result<std::vector<std::string>> SelectNames(const std::vector<std::string>& names,
                                             const std::string& expression,
                                             bool ignore_unavailable);

}  // namespace lookalike::snapshot
