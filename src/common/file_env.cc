// POSIX FileEnv and the atomic-replace sequence built on the FileEnv primitives.
#include "common/file_env.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

namespace lookalike {

Status FileError(std::string_view what, const std::string& path, int err) {
  return Status::IOError(std::string(what) + " " + path + ": " + std::strerror(err));
}

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

namespace {

// Writes all of [data, data+n) at the current position, retrying short writes and EINTR.
Status WriteAll(int fd, const uint8_t* data, size_t n, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return FileError("cannot write", path, errno);
    if (w == 0) return FileError("cannot write", path, EIO);
    data += w;
    n -= static_cast<size_t>(w);
  }
  return Status::OK();
}

// Buffered so that many small appends (graph links, one vector at a time) cost few syscalls.
class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {
    buffer_.reserve(kBufferBytes);
  }
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(const void* data, size_t n) override {
    const auto* p = static_cast<const uint8_t*>(data);
    size_ += n;
    if (buffer_.size() + n <= kBufferBytes) {
      buffer_.insert(buffer_.end(), p, p + n);
      return Status::OK();
    }
    LOOKALIKE_RETURN_IF_ERROR(Flush());
    if (n >= kBufferBytes) return WriteAll(fd_, p, n, path_);
    buffer_.insert(buffer_.end(), p, p + n);
    return Status::OK();
  }

  Status WriteAt(uint64_t offset, const void* data, size_t n) override {
    if (offset + n > size_) {
      return Status::IOError("write past the end of " + path_);  // a caller bug, kept loud
    }
    LOOKALIKE_RETURN_IF_ERROR(Flush());
    const auto* p = static_cast<const uint8_t*>(data);
    while (n > 0) {
      const ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(offset));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return FileError("cannot write", path_, errno);
      if (w == 0) return FileError("cannot write", path_, EIO);
      p += w;
      n -= static_cast<size_t>(w);
      offset += static_cast<uint64_t>(w);
    }
    return Status::OK();
  }

  Status Sync() override {
    LOOKALIKE_RETURN_IF_ERROR(Flush());
    if (::fsync(fd_) != 0) return FileError("cannot fsync", path_, errno);
    return Status::OK();
  }

  Status Close() override {
    Status flushed = Flush();
    const int rc = fd_ >= 0 ? ::close(fd_) : 0;
    const int err = errno;
    fd_ = -1;
    LOOKALIKE_RETURN_IF_ERROR(flushed);
    if (rc != 0) return FileError("cannot close", path_, err);
    return Status::OK();
  }

  uint64_t size() const override { return size_; }

 private:
  static constexpr size_t kBufferBytes = size_t{1} << 20;

  Status Flush() {
    if (fd_ < 0) return Status::IOError("file already closed: " + path_);
    Status st = WriteAll(fd_, buffer_.data(), buffer_.size(), path_);
    buffer_.clear();
    return st;
  }

  int fd_;
  std::string path_;
  std::vector<uint8_t> buffer_;
  uint64_t size_ = 0;
};

class PosixFileEnv final : public FileEnv {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                        uint32_t mode) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return FileError("cannot create", path, errno);
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(fd, path));
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return FileError("cannot rename to", to, errno);
    return Status::OK();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) == 0) return Status::OK();
    if (errno == ENOENT) return Status::NotFound("no such file " + path);
    return FileError("cannot remove", path, errno);
  }

  Status SyncDir(const std::string& dir) override {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return FileError("cannot open", dir, errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return FileError("cannot fsync", dir, err);
    return Status::OK();
  }

  Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return Status::NotFound("no such file " + path);
      return FileError("cannot read", path, errno);
    }
    struct Closer {
      int fd;
      ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st;
    if (::fstat(fd, &st) != 0) return FileError("cannot read", path, errno);
    if (static_cast<uint64_t>(st.st_size) > max_bytes) {
      return Status::ResourceExhausted(path + ": file is " + std::to_string(st.st_size) +
                                       " bytes, more than the limit of " +
                                       std::to_string(max_bytes));
    }
    std::string out;
    out.reserve(static_cast<size_t>(st.st_size));
    char buf[64 * 1024];
    while (true) {
      const ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return FileError("cannot read", path, errno);
      if (n == 0) break;
      // The file may grow while we read it; the limit holds for what we return.
      if (out.size() + static_cast<size_t>(n) > max_bytes) {
        return Status::ResourceExhausted(path + ": file grew beyond the limit of " +
                                         std::to_string(max_bytes) + " bytes");
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
};

std::string TemporaryPathFor(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." +
         std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace

namespace {

// The writer's pid when `name` is "<anything>.tmp.<pid>.<n>", else 0.
pid_t TemporaryFileWriter(std::string_view name) {
  size_t tmp = name.rfind(".tmp.");
  if (tmp == std::string_view::npos || tmp == 0) return 0;
  std::string_view rest = name.substr(tmp + 5);
  size_t dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == rest.size()) return 0;
  auto digits = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (!digits(rest.substr(0, dot)) || !digits(rest.substr(dot + 1)) || dot > 9) return 0;
  return static_cast<pid_t>(std::stol(std::string(rest.substr(0, dot))));
}

bool ProcessAlive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

size_t RemoveStaleTemporaryFiles(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return 0;
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(d)) {
    pid_t writer = TemporaryFileWriter(e->d_name);
    if (writer > 0 && !ProcessAlive(writer)) stale.emplace_back(e->d_name);
  }
  ::closedir(d);
  size_t removed = 0;
  for (const std::string& name : stale) removed += ::unlink((dir + "/" + name).c_str()) == 0;
  return removed;
}

FileEnv& FileEnv::Default() {
  static PosixFileEnv env;  // stateless, so its destruction at exit is harmless
  return env;
}

Status WriteFileAtomically(FileEnv& env, const std::string& path, const FileContentWriter& write,
                           const AtomicWriteOptions& options) {
  const std::string temp = TemporaryPathFor(path);
  LOOKALIKE_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                             env.NewWritableFile(temp, options.mode));
  Status st = write(file.get());
  if (st.ok()) st = file->Sync();
  if (st.ok()) st = file->Close();
  file.reset();  // closes the descriptor on the failure paths too
  if (st.ok()) st = env.RenameFile(temp, path);
  if (!st.ok()) {
    // A half-written temporary would keep the space that recovery from ENOSPC needs.
    (void)env.RemoveFile(temp);
    return st;
  }
  if (options.sync_dir) return env.SyncDir(DirName(path));
  return Status::OK();
}

Status WriteFileAtomically(FileEnv& env, const std::string& path, std::string_view bytes,
                           const AtomicWriteOptions& options) {
  return WriteFileAtomically(
      env, path, [bytes](WritableFile* f) { return f->Append(bytes.data(), bytes.size()); },
      options);
}

}  // namespace lookalike
