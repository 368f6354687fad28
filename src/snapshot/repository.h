// A shared-filesystem snapshot repository (Elasticsearch's "fs" type), Lookalike's own layout
// (docs/formats/snapshot-repository.md):
//
//   LOCATION/index.json                the repository index (manifest.h)
//   LOCATION/snapshots/<uuid>.json     one manifest per snapshot
//   LOCATION/blobs/<aa>/<sha256>       content-addressed blobs: a blob's name is the SHA-256 of
//                                      its bytes, so equal content is stored once
//   LOCATION/lock                      flock(2) of whoever changes the repository
//
// Every file is written to a temporary name, synced and renamed (common/file_env.h); a blob is
// in place before any manifest names it, a manifest before index.json lists it. A crash leaves
// at worst blobs nobody references, removed by the next DeleteSnapshot.
//
// Thread safety: an FsRepository holds no state besides its paths; changes are serialised
// between threads and processes by Lock().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "lookalike/index_files.h"
#include "lookalike/status.h"
#include "snapshot/manifest.h"

namespace lookalike::snapshot {

class FsRepository {
 public:
  /// Uses (and with `create`, creates) the repository at an absolute `location`.
  static Result<FsRepository> Open(const std::string& location, bool create);
  const std::string& location() const { return location_; }

  /// Held while a snapshot is created or deleted. Unavailable
  /// (concurrent_snapshot_execution_exception) when another thread or process holds it.
  class Lock {
   public:
    ~Lock();
    Lock(Lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Lock(const Lock&) = delete;

   private:
    friend class FsRepository;
    explicit Lock(int fd) : fd_(fd) {}
    int fd_;
  };
  Result<Lock> TryLock(const std::string& repository_name) const;

  /// An empty index when the repository has none yet.
  Result<RepositoryIndex> ReadIndex() const;
  Status WriteIndex(const RepositoryIndex& index) const;
  /// Writes the manifest; returns its SHA-256 (recorded in index.json).
  Result<std::string> WriteManifest(const SnapshotManifest& manifest) const;
  /// Reads and verifies the manifest of `entry`.
  Result<SnapshotManifest> ReadManifest(const SnapshotEntry& entry) const;
  Status RemoveManifest(const std::string& uuid) const;

  bool HasBlob(const std::string& sha256) const;
  /// Stores bytes as a blob (unless present); returns its SHA-256. *added tells which.
  Result<std::string> PutBlob(std::string_view bytes, bool* added) const;
  /// Stores a blob whose SHA-256 the caller computed, from a producer that writes the bytes
  /// through a sink; Corruption when the bytes do not hash to `sha256` (the source changed).
  Status PutBlobStream(const std::string& sha256,
                       const std::function<Status(const FileChunkSink&)>& produce) const;
  /// The verified bytes of a blob (at most max_bytes). Corruption on a size or hash mismatch.
  Result<std::string> ReadBlob(const std::string& sha256, uint64_t size, uint64_t max_bytes) const;
  /// Streams a blob to `sink`, then verifies it; Corruption on a mismatch (after the bytes were
  /// handed out: the caller discards them).
  Status StreamBlob(const std::string& sha256, uint64_t size, const FileChunkSink& sink) const;
  /// Deletes every blob not in `keep`, and leftover temporaries. Returns how many were deleted.
  Result<size_t> RemoveBlobsExcept(const std::set<std::string>& keep) const;
  std::string BlobPath(const std::string& sha256) const;
  /// POST _snapshot/{repo}/_verify: writes, syncs, reads back and removes a probe file in the
  /// repository; the error says which step failed (IOError, or Corruption when the bytes read
  /// back differ).
  Status Verify() const;

 private:
  explicit FsRepository(std::string location) : location_(std::move(location)) {}
  std::string location_;
};

/// The blob-level corruption error restore reports.
Status CorruptBlob(const std::string& sha256, std::string_view why);

}  // namespace lookalike::snapshot
