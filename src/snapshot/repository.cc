#include "snapshot/repository.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "common/file_env.h"
#include "snapshot/sha256.h"

namespace lookalike::snapshot {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMaxJsonBytes = 256ull << 20;
constexpr size_t kReadBuffer = 1 << 20;

Status ReadStream(const std::string& path, const FileChunkSink& sink) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("missing blob " + path);
    return FileError("opening", path, errno);
  }
  std::string buffer(kReadBuffer, '\0');
  Status status;
  while (status.ok()) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = FileError("reading", path, errno);
      break;
    }
    if (n == 0) break;
    status = sink(std::string_view(buffer.data(), size_t(n)));
  }
  ::close(fd);
  return status;
}

}  // namespace

Status CorruptBlob(const std::string& sha256, std::string_view why) {
  return Status::Corruption("blob [" + sha256 +
                            "] of the repository is corrupted: " + std::string(why));
}

Result<FsRepository> FsRepository::Open(const std::string& location, bool create) {
  std::error_code ec;
  if (create) {
    fs::create_directories(location + "/blobs", ec);
    fs::create_directories(location + "/snapshots", ec);
    if (ec) return Status::IOError("cannot create " + location + ": " + ec.message());
  } else if (!fs::is_directory(location, ec)) {
    return Status::NotFound("no repository at [" + location + "]");
  }
  return FsRepository(location);
}

FsRepository::Lock::~Lock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

Result<FsRepository::Lock> FsRepository::TryLock(const std::string& repository_name) const {
  std::string path = location_ + "/lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return FileError("opening", path, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::Unavailable("[" + repository_name +
                               "] cannot change the repository: another snapshot operation is "
                               "running")
        .WithKind(ErrorKind::kSnapshotBusy);
  }
  return Lock(fd);
}

Status FsRepository::Verify() const {
  const std::string probe = location_ + "/verify-" + std::to_string(::getpid()) + "-" +
                            std::to_string(reinterpret_cast<uintptr_t>(&probe));
  const std::string bytes = "lookalike repository verification " + probe;
  FileEnv& env = FileEnv::Default();
  Status written = WriteFileAtomically(env, probe, bytes);
  if (!written.ok()) return written.WithContext("the repository cannot be written");
  auto back = env.ReadFile(probe, bytes.size() + 1);
  Status removed = env.RemoveFile(probe);
  if (!back.ok()) return back.status().WithContext("the repository cannot be read");
  if (*back != bytes) return Status::Corruption("a file read back from the repository differs");
  return removed.WithContext("the repository does not let a file be removed");
}

Result<RepositoryIndex> FsRepository::ReadIndex() const {
  auto text = FileEnv::Default().ReadFile(location_ + "/index.json", kMaxJsonBytes);
  if (!text.ok() && text.status().code() == StatusCode::kNotFound) return RepositoryIndex{};
  if (!text.ok()) return text.status();
  return ParseRepositoryIndex(*text);
}

Status FsRepository::WriteIndex(const RepositoryIndex& index) const {
  return WriteFileAtomically(FileEnv::Default(), location_ + "/index.json",
                             EncodeRepositoryIndex(index));
}

Result<std::string> FsRepository::WriteManifest(const SnapshotManifest& manifest) const {
  std::string text = EncodeManifest(manifest);
  LOOKALIKE_RETURN_IF_ERROR(WriteFileAtomically(
      FileEnv::Default(), location_ + "/snapshots/" + manifest.uuid + ".json", text));
  return Sha256Hex(text);
}

Result<SnapshotManifest> FsRepository::ReadManifest(const SnapshotEntry& entry) const {
  std::string path = location_ + "/snapshots/" + entry.uuid + ".json";
  LOOKALIKE_ASSIGN_OR_RETURN(std::string text, FileEnv::Default().ReadFile(path, kMaxJsonBytes));
  if (Sha256Hex(text) != entry.manifest_sha256) {
    return Status::Corruption("the manifest of snapshot [" + entry.snapshot +
                              "] does not match its checksum in index.json");
  }
  return ParseManifest(text);
}

Status FsRepository::RemoveManifest(const std::string& uuid) const {
  Status s = FileEnv::Default().RemoveFile(location_ + "/snapshots/" + uuid + ".json");
  return s.code() == StatusCode::kNotFound ? Status::OK() : s;
}

std::string FsRepository::BlobPath(const std::string& sha256) const {
  return location_ + "/blobs/" + sha256.substr(0, 2) + "/" + sha256;
}

bool FsRepository::HasBlob(const std::string& sha256) const {
  std::error_code ec;
  return fs::exists(BlobPath(sha256), ec);
}

Result<std::string> FsRepository::PutBlob(std::string_view bytes, bool* added) const {
  std::string sha = Sha256Hex(bytes);
  *added = !HasBlob(sha);
  if (!*added) return sha;
  std::error_code ec;
  fs::create_directories(DirName(BlobPath(sha)), ec);
  LOOKALIKE_RETURN_IF_ERROR(WriteFileAtomically(FileEnv::Default(), BlobPath(sha), bytes));
  return sha;
}

Status FsRepository::PutBlobStream(
    const std::string& sha256, const std::function<Status(const FileChunkSink&)>& produce) const {
  std::error_code ec;
  fs::create_directories(DirName(BlobPath(sha256)), ec);
  return WriteFileAtomically(FileEnv::Default(), BlobPath(sha256), [&](WritableFile* out) {
    Sha256 hash;
    LOOKALIKE_RETURN_IF_ERROR(produce([&](std::string_view bytes) {
      hash.Update(bytes);
      return out->Append(bytes.data(), bytes.size());
    }));
    if (hash.HexDigest() != sha256) {
      return Status::Corruption("a file changed while it was copied into blob [" + sha256 + "]");
    }
    return Status::OK();
  });
}

Result<std::string> FsRepository::ReadBlob(const std::string& sha256, uint64_t size,
                                           uint64_t max_bytes) const {
  if (size > max_bytes) return CorruptBlob(sha256, "larger than a record chunk can be");
  auto bytes = FileEnv::Default().ReadFile(BlobPath(sha256), max_bytes);
  if (!bytes.ok()) {
    if (bytes.status().code() == StatusCode::kNotFound) return CorruptBlob(sha256, "missing");
    return bytes.status();
  }
  if (bytes->size() != size) return CorruptBlob(sha256, "wrong size");
  if (Sha256Hex(*bytes) != sha256) return CorruptBlob(sha256, "checksum mismatch");
  return bytes;
}

Status FsRepository::StreamBlob(const std::string& sha256, uint64_t size,
                                const FileChunkSink& sink) const {
  Sha256 hash;
  uint64_t seen = 0;
  Status s = ReadStream(BlobPath(sha256), [&](std::string_view bytes) {
    hash.Update(bytes);
    seen += bytes.size();
    if (seen > size) return CorruptBlob(sha256, "wrong size");
    return sink(bytes);
  });
  if (s.code() == StatusCode::kNotFound) return CorruptBlob(sha256, "missing");
  LOOKALIKE_RETURN_IF_ERROR(s);
  if (seen != size) return CorruptBlob(sha256, "wrong size");
  if (hash.HexDigest() != sha256) return CorruptBlob(sha256, "checksum mismatch");
  return Status::OK();
}

Result<size_t> FsRepository::RemoveBlobsExcept(const std::set<std::string>& keep) const {
  size_t removed = 0;
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(location_ + "/blobs", ec)) {
    if (!dir.is_directory()) continue;
    RemoveStaleTemporaryFiles(dir.path().string());
    for (const auto& file : fs::directory_iterator(dir.path(), ec)) {
      std::string name = file.path().filename().string();
      if (IsSha256Hex(name) && !keep.count(name)) {
        std::error_code rm;
        if (fs::remove(file.path(), rm)) ++removed;
      }
    }
  }
  if (ec) return Status::IOError("listing the blobs of " + location_ + ": " + ec.message());
  return removed;
}

}  // namespace lookalike::snapshot
