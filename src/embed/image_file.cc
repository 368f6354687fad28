// Opening images below the image roots; see image_file.h.
#include "embed/image_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace lookalike::embed {
namespace {

constexpr int kFileFlags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK;

// "/a//b/./c" → {"a","b","c"}; false when a ".." component appears (never resolved lexically:
// the literal path must name a place below the root).
bool SplitComponents(std::string_view path, std::vector<std::string_view>* out) {
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") return false;
    out->push_back(part);
  }
  return true;
}

// openat2 confined below `dir`; -1 with errno ENOSYS when the kernel cannot.
int OpenWithOpenat2(int dir, const std::string& relative) {
  open_how how{};
  how.flags = static_cast<uint64_t>(kFileFlags);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, dir, relative.c_str(), &how, sizeof(how));
  if (fd < 0 && errno == EPERM) errno = ENOSYS;  // a seccomp filter that denies the call
  return static_cast<int>(fd);
}

// One component at a time, none of them followed if it is a symlink.
int OpenByWalking(int dir, const std::vector<std::string_view>& parts) {
  int current = ::dup(dir);
  if (current < 0) return -1;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    std::string name(parts[i]);
    int next = ::openat(current, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    ::close(current);
    if (next < 0) return -1;
    struct stat st;
    if (::fstat(next, &st) != 0 || !S_ISDIR(st.st_mode)) {
      ::close(next);
      return -1;
    }
    current = next;
  }
  std::string last(parts.back());
  int fd = ::openat(current, last.c_str(), kFileFlags);
  ::close(current);
  return fd;
}

Status NotFound(std::string_view stored) {
  return Status::NotFound("image file [" + std::string(stored) +
                          "] not found below the image roots")
      .WithKind(ErrorKind::kResourceNotFound);
}

}  // namespace

ImageFile::ImageFile(ImageFile&& other) noexcept { *this = std::move(other); }

ImageFile& ImageFile::operator=(ImageFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

ImageFile::~ImageFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<ImageFile::Identity> ImageFile::Identify() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return Status::IOError("cannot stat [" + path_ + "]");
  Identity id;
  id.size = st.st_size;
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return id;
}

Result<std::vector<uint8_t>> ImageFile::ReadAll(uint64_t max_bytes) const {
  LOOKALIKE_ASSIGN_OR_RETURN(Identity id, Identify());
  auto too_big = [&](uint64_t size) {
    return Status::ResourceExhausted(path_ + ": file is " + std::to_string(size) +
                                     " bytes, over the limit of " + std::to_string(max_bytes));
  };
  if (static_cast<uint64_t>(id.size) > max_bytes) return too_big(static_cast<uint64_t>(id.size));
  std::vector<uint8_t> data(static_cast<size_t>(id.size) + 1);  // +1: notices a growing file
  size_t got = 0;
  while (true) {
    if (got == data.size()) {
      if (got > max_bytes) return too_big(got);
      data.resize(data.size() * 2);
    }
    ssize_t n = ::pread(fd_, data.data() + got, data.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot read [" + path_ + "]");
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > max_bytes) return too_big(got);
  data.resize(got);
  return data;
}

Result<ImageFile> OpenImageBelowRoots(std::string_view stored,
                                      const std::vector<std::string>& roots, BeneathMode mode) {
  if (roots.empty()) {
    return Status::NotFound(
               "no image root is configured (start the server with --image-root "
               "DIR); cannot serve [" +
               std::string(stored) + "]")
        .WithKind(ErrorKind::kResourceNotFound);
  }
  std::vector<std::string_view> parts;
  if (stored.empty() || stored.front() != '/' || stored.find('\0') != std::string_view::npos ||
      !SplitComponents(stored, &parts)) {
    return NotFound(stored);
  }
  for (const std::string& root : roots) {
    std::vector<std::string_view> root_parts;
    if (!SplitComponents(root, &root_parts) || parts.size() <= root_parts.size()) continue;
    bool below = true;
    for (size_t i = 0; i < root_parts.size() && below; ++i) below = parts[i] == root_parts[i];
    if (!below) continue;
    std::vector<std::string_view> rest(parts.begin() + static_cast<long>(root_parts.size()),
                                       parts.end());
    int dir = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) continue;
    int fd = -1;
    if (mode == BeneathMode::kAuto) {
      std::string relative;
      for (std::string_view part : rest) {
        if (!relative.empty()) relative += '/';
        relative += part;
      }
      fd = OpenWithOpenat2(dir, relative);
      if (fd < 0 && errno == ENOSYS) fd = OpenByWalking(dir, rest);
    } else {
      fd = OpenByWalking(dir, rest);
    }
    ::close(dir);
    if (fd < 0) continue;
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      continue;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return ImageFile(fd, std::string(stored));
  }
  return NotFound(stored);
}

}  // namespace lookalike::embed
