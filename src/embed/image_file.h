// Opening stored images below the image roots without trusting the file system between the
// check and the open: the file is opened relative to a descriptor of the root directory and no
// component below the root may be a symbolic link (openat2 with RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS where the kernel has it, else a walk that opens one component at a time
// with O_NOFOLLOW). So a folder swapped for a symlink during a request cannot lead outside the
// root, and what is checked is exactly what is read.
//
// Every refusal — relative path, ".." component, outside every root, missing, unreadable, a
// symlink, not a regular file — is the same NotFound (404 resource_not_found_exception), so a
// client cannot learn which files exist or are readable elsewhere on disk.
//
// Thread safety: functions only; an ImageFile is owned by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"

namespace lookalike::embed {

/// An open, regular image file below an image root. Move-only; closes on destruction.
class ImageFile {
 public:
  ImageFile() = default;
  ImageFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ImageFile(ImageFile&& other) noexcept;
  ImageFile& operator=(ImageFile&& other) noexcept;
  ImageFile(const ImageFile&) = delete;
  ImageFile& operator=(const ImageFile&) = delete;
  ~ImageFile();

  int fd() const { return fd_; }
  /// The stored path it was opened by (for messages and cache keys).
  const std::string& path() const { return path_; }

  struct Identity {
    int64_t size = -1;
    int64_t mtime_ns = -1;
    bool operator==(const Identity&) const = default;
  };
  /// Size and modification time of the open file (fstat).
  Result<Identity> Identify() const;
  /// The whole file from its start; ResourceExhausted when larger than `max_bytes`.
  Result<std::vector<uint8_t>> ReadAll(uint64_t max_bytes) const;

 private:
  int fd_ = -1;
  std::string path_;
};

/// How to resolve below the root: kAuto tries openat2 and falls back to the component walk
/// when the kernel (or a seccomp filter) lacks it; kWalk forces the walk (tests).
enum class BeneathMode { kAuto, kWalk };

/// Opens `stored` (an absolute path) read-only when, taken literally, it names a regular file
/// below one of `roots` (absolute directory paths; the roots' own path may contain symlinks,
/// nothing below them may). NotFound for everything else (see above).
Result<ImageFile> OpenImageBelowRoots(std::string_view stored,
                                      const std::vector<std::string>& roots,
                                      BeneathMode mode = BeneathMode::kAuto);

}  // namespace lookalike::embed
