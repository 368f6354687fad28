// Helpers shared by the libFuzzer targets: temporary files and directories that disappear when
// the process exits, and one engine per process (opening RocksDB per input would make a target
// too slow to find anything).
//
// Thread safety: none; libFuzzer calls a target from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "lookalike/engine.h"

namespace lookalike::fuzz {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Writes `bytes` to `path` (truncating); aborts on failure, since a target that cannot write
/// its input would silently test nothing.
void WriteFileOrDie(const std::string& path, std::string_view bytes);

/// The process-wide engine of a target, opened on first use in its own temporary directory
/// (one background thread, no snapshots on shutdown). Lives until exit.
Engine& SharedEngine();

/// Deletes every index of `engine` (so each input starts from the same state).
void DeleteAllIndices(Engine& engine);

/// The index "fz" with a fixed mapping (vector, keyword, numbers, text, date, boolean, nested
/// object) and a few documents, refreshed. Used by the search, bulk and REST targets.
void CreateFixtureIndex(Engine& engine);

/// Deletes every index and re-creates the fixture when the set of indices, their document or
/// deletion counts or any mapping differ from what CreateFixtureIndex left. Cheap when an input
/// changed nothing; in-place document updates that keep the counts are not detected.
void RestoreFixture(Engine& engine);

/// Aborts with `what` and the status when `status` is not OK (setup steps must not fail).
void CheckOk(const Status& status, const char* what);

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace lookalike::fuzz
