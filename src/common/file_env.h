// The file-system seam: every snapshot, settings, security and cache file is written, synced,
// read and removed through a FileEnv, so that the write-temp/fsync/rename/fsync-dir sequence
// lives in one place and tests can inject ENOSPC, EIO or a crash at any step (in the spirit of
// LevelDB's Env and its fault-injection test).
//
// Thread safety: FileEnv::Default() is stateless and may be used from any thread. A
// WritableFile is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "lookalike/status.h"

namespace lookalike {

/// A file being written: sequential appends, plus overwriting bytes already appended (a header
/// patched once the checksums of what follows are known). Errors are IOError with the path and
/// the errno text.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  /// Appends n bytes at the end (may be buffered until Sync/Close/WriteAt).
  virtual Status Append(const void* data, size_t n) = 0;
  /// Overwrites n bytes at `offset`; offset + n must not exceed size().
  virtual Status WriteAt(uint64_t offset, const void* data, size_t n) = 0;
  /// Everything appended so far reaches the device (fsync).
  virtual Status Sync() = 0;
  /// Flushes and closes; further calls fail. The destructor closes without reporting errors.
  virtual Status Close() = 0;
  /// Bytes appended so far.
  virtual uint64_t size() const = 0;
};

/// The primitive operations; WriteFileAtomically and friends are built on them. Implementations:
/// FileEnv::Default() (POSIX) and test doubles that fail or "crash" at a chosen step.
class FileEnv {
 public:
  virtual ~FileEnv() = default;

  /// The process-wide POSIX implementation.
  static FileEnv& Default();

  /// Creates or truncates `path` with permission bits `mode` (before umask).
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                                uint32_t mode) = 0;
  /// rename(2): atomically replaces `to`.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  /// unlink(2). NotFound when the file does not exist.
  virtual Status RemoveFile(const std::string& path) = 0;
  /// fsync of the directory itself, making renames and creations in it durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  /// The whole file. NotFound when it does not exist; ResourceExhausted when it is larger than
  /// max_bytes (nothing is read then).
  virtual Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes) = 0;
};

struct AtomicWriteOptions {
  uint32_t mode = 0644;  // permission bits of the new file (0600 for secrets)
  bool sync_dir = true;  // fsync the directory after the rename (durable replacement)
};

/// Produces the file's contents; a non-OK status abandons the write.
using FileContentWriter = std::function<Status(WritableFile*)>;

/// Replaces `path` with what `write` produces, all or nothing: writes a temporary file in the
/// same directory (`path` + ".tmp.<pid>.<n>", unique per process and call, so concurrent writers
/// never share one), syncs it, renames it onto `path` and syncs the directory. On any failure
/// before the rename the temporary file is removed and `path` is untouched; a crash at any step
/// leaves either the old or the new complete file at `path` (and at worst a stray temporary).
/// A failure to sync the directory after a successful rename is reported: the new file is in
/// place but its durability is not known.
Status WriteFileAtomically(FileEnv& env, const std::string& path, const FileContentWriter& write,
                           const AtomicWriteOptions& options = {});
/// The same for contents already in memory.
Status WriteFileAtomically(FileEnv& env, const std::string& path, std::string_view bytes,
                           const AtomicWriteOptions& options = {});

/// Deletes the temporaries WriteFileAtomically left in `dir` when a process died between
/// creating one and renaming it (`<name>.tmp.<pid>.<n>`) — a crash during a multi-gigabyte vector
/// snapshot must not leak its size on every restart. Only files whose writer process is gone
/// are removed: another live process (the CLI editing a running server's users) may be writing
/// one right now. Returns how many were removed; a missing directory removes nothing.
size_t RemoveStaleTemporaryFiles(const std::string& dir);

/// The directory part of `path` ("." when it has none, "/" for files in the root).
std::string DirName(const std::string& path);

/// IOError "<what> <path>: <strerror(err)>", the one spelling of a failed file operation.
Status FileError(std::string_view what, const std::string& path, int err);

}  // namespace lookalike
