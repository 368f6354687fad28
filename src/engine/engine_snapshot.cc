// The engine's side of snapshot and restore (issue 13): a consistent view of one index for a
// repository (CaptureIndex), and a restored index opened from what a repository hands back
// (RestoreIndex). The repository format itself lives in src/snapshot/.
//
// Why the captured view is consistent: it is taken under the index's write_mu, so no write is
// between its RocksDB batch and its acknowledgement, and no flush is saving or recording a
// vector snapshot or pruning tombstones. The records come from one RocksDB iterator (a
// point-in-time view), the vector files are opened at the same moment (a later snapshot renames
// a new file over the name; the open descriptor keeps the old contents). The inserter may still
// finish an automatic vector snapshot of its own meanwhile, but it saves the file before it
// records the covered sequence number, so the recorded number in the captured records is never
// newer than the file that was opened, and every vector in that file came from a write that is
// already in the records. A restore replays documents newer than the recorded number, exactly
// like recovery after a crash (adds replace, removes of absent labels are ignored).
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <set>

#include "common/file_env.h"
#include "engine/engine_impl.h"
#include "engine/json_util.h"

namespace lookalike::engine {
namespace {

namespace fs = std::filesystem;

constexpr size_t kRestoreBatchBytes = 4 << 20;

class EngineCapture final : public IndexCapture {
 public:
  EngineCapture(std::shared_ptr<Index> index, std::string meta, int64_t docs,
                std::unique_ptr<storage::DocStore::RecordReader> reader)
      : index_(std::move(index)), meta_(std::move(meta)), docs_(docs), reader_(std::move(reader)) {}
  ~EngineCapture() override {
    for (auto& [name, fd] : files_) ::close(fd);
  }
  void AddFile(std::string name, int fd) { files_.emplace_back(std::move(name), fd); }

  const std::string& name() const override { return index_->name; }
  const std::string& meta_json() const override { return meta_; }
  int64_t docs_count() const override { return docs_; }
  Status ForEachRecord(const IndexRecordSink& sink) override {
    if (!reader_) return Status::InvalidArgument("the records of a capture are read once");
    Status s = reader_->ForEach(sink);
    reader_.reset();
    return s;
  }
  std::vector<std::string> FileNames() const override {
    std::vector<std::string> out;
    for (const auto& [name, fd] : files_) out.push_back(name);
    return out;
  }
  Status ReadFile(const std::string& name, const FileChunkSink& sink) override {
    for (const auto& [file, fd] : files_) {
      if (file != name) continue;
      std::string buffer(1 << 20, '\0');
      for (off_t at = 0;;) {
        ssize_t n = ::pread(fd, buffer.data(), buffer.size(), at);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return FileError("reading", index_->snapshot_dir + "/" + name, errno);
        if (n == 0) return Status::OK();
        LOOKALIKE_RETURN_IF_ERROR(sink(std::string_view(buffer.data(), size_t(n))));
        at += n;
      }
    }
    return Status::NotFound("no captured file [" + name + "]");
  }

 private:
  std::shared_ptr<Index> index_;  // keeps the index (not its column family) alive
  std::string meta_;
  int64_t docs_;
  std::unique_ptr<storage::DocStore::RecordReader> reader_;
  std::vector<std::pair<std::string, int>> files_;
};

// A vector file name from a repository becomes a path: plain names only.
bool SafeFileName(const std::string& name) {
  return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
         name.find('/') == std::string::npos && name.find('\0') == std::string::npos &&
         name.ends_with(".lkv");
}

std::string NewUuid() { return GenerateDocId().substr(0, 11) + GenerateDocId().substr(0, 11); }

}  // namespace

Result<std::unique_ptr<IndexCapture>> EngineImpl::CaptureIndex(std::string_view name,
                                                               bool flush_vectors) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  LOOKALIKE_RETURN_IF_ERROR(FailedIndexStatus(name));
  std::shared_ptr<Index> index = Find(name);
  if (!index) return IndexNotFound(name);
  if (flush_vectors) {
    // Only shortens the replay after a restore: a failed save (a full data disk) still leaves a
    // consistent view of the previous vector snapshot plus the documents.
    if (Status saved = SnapshotIndex(index.get()); !saved.ok()) {
      spdlog::warn("snapshot of [{}] uses the previous vector snapshot: {}", index->name,
                   saved.ToString());
    }
  }
  std::lock_guard<std::mutex> wl(index->write_mu);
  if (index->dropped) return IndexNotFound(name);
  std::string meta;
  int64_t docs = 0;
  {
    std::shared_lock lock(index->data_mu);
    meta = index->MetaJson();
    docs = static_cast<int64_t>(index->ids.size());
  }
  auto capture = std::make_unique<EngineCapture>(index, std::move(meta), docs,
                                                 store_->NewRecordReader(index->space));
  for (const auto& [field, vf] : index->vectors) {
    std::string path = index->SnapshotPath(*vf);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) continue;  // never saved: a restore rebuilds this field
    if (fd < 0) return FileError("opening", path, errno);
    capture->AddFile(vf->file_stem + ".lkv", fd);
  }
  return std::unique_ptr<IndexCapture>(std::move(capture));
}

void EngineImpl::RemoveRestoreLeftovers() {
  std::error_code ec;
  fs::remove_all(options_.data_dir + "/restore-tmp", ec);
  // A crash after a restore moved its vector folder into place but before the metadata was
  // written leaves a folder no index names. Only when every index's uuid is known.
  std::set<std::string> known;
  {
    std::shared_lock lock(indices_mu_);
    for (const auto& [n, index] : indices_) known.insert(index->uuid);
    for (const auto& [n, failed] : failed_) {
      if (failed.uuid.empty()) return;
      known.insert(failed.uuid);
    }
  }
  for (const auto& entry : fs::directory_iterator(options_.data_dir + "/vectors", ec)) {
    std::string uuid = entry.path().filename().string();
    if (entry.is_directory() && uuid.size() == 22 && !known.count(uuid)) {
      spdlog::info("removing vector snapshots of no index: {}", entry.path().string());
      fs::remove_all(entry.path(), ec);
    }
  }
}

Status EngineImpl::FillRestoredSpace(storage::IndexSpace* space, const std::string& staging,
                                     IndexRestoreSource& source) {
  std::vector<std::pair<std::string, std::string>> batch;
  size_t batch_bytes = 0;
  LOOKALIKE_RETURN_IF_ERROR(source.ForEachRecord([&](std::string_view key, std::string_view value) {
    batch.emplace_back(std::string(key), std::string(value));
    batch_bytes += key.size() + value.size();
    if (batch_bytes < kRestoreBatchBytes) return Status::OK();
    Status s = store_->PutRecords(space, batch);
    batch.clear();
    batch_bytes = 0;
    return s;
  }));
  if (!batch.empty()) LOOKALIKE_RETURN_IF_ERROR(store_->PutRecords(space, batch));
  for (const std::string& file : source.FileNames()) {
    if (!SafeFileName(file)) {
      return Status::Corruption("the snapshot names a vector file [" + file + "]");
    }
    LOOKALIKE_RETURN_IF_ERROR(source.WriteFile(file, staging + "/" + file));
  }
  LOOKALIKE_RETURN_IF_ERROR(FileEnv::Default().SyncDir(staging));
  return store_->SyncSpace(space);
}

Status EngineImpl::RestoreIndex(std::string_view name_view, IndexRestoreSource& source) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  LOOKALIKE_RETURN_IF_ERROR(ValidateIndexName(name_view));
  LOOKALIKE_RETURN_IF_ERROR(CheckWritable(name_view));
  const std::string name(name_view);
  auto taken = [&]() -> Status {  // needs indices_mu_
    if (indices_.count(name) || failed_.count(name)) {
      return Status::AlreadyExists("index [" + name + "] already exists")
          .WithType("resource_already_exists_exception");
    }
    return Status::OK();
  };
  {
    std::shared_lock lock(indices_mu_);
    LOOKALIKE_RETURN_IF_ERROR(taken());
  }
  // The restored index: the captured settings and mappings under a new uuid.
  Index restored;
  {
    simdjson::dom::parser parser;
    LOOKALIKE_ASSIGN_OR_RETURN(element root, ParseStoredJson(parser, source.meta_json()));
    LOOKALIKE_RETURN_IF_ERROR(restored.LoadMeta(root));
  }
  restored.name = name;
  restored.uuid = NewUuid();
  const std::string meta = restored.MetaJson();
  const std::string staging = options_.data_dir + "/restore-tmp/" + restored.uuid;
  const std::string final_dir = options_.data_dir + "/vectors/" + restored.uuid;
  std::error_code ec;
  fs::create_directories(staging, ec);
  if (ec) return Status::IOError("cannot create " + staging + ": " + ec.message());
  auto discard = [&](const Status& why) {
    (void)store_->DropSpace(restored.uuid);
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    fs::remove_all(final_dir, ignored);
    return why;
  };
  auto space = store_->CreateSpace(restored.uuid);
  if (!space.ok()) return discard(space.status());
  if (Status s = FillRestoredSpace(*space, staging, source); !s.ok()) return discard(s);
  fs::rename(staging, final_dir, ec);
  if (ec) return discard(Status::IOError("cannot move " + staging + ": " + ec.message()));
  (void)FileEnv::Default().SyncDir(options_.data_dir + "/vectors");
  {
    // Publishing the metadata makes the index exist; a placeholder in failed_ holds the name
    // (503 for requests, AlreadyExists for creations) until LoadIndex has published it.
    std::unique_lock lock(indices_mu_);
    if (Status s = taken(); !s.ok()) return discard(s);
    if (Status s = store_->PutIndexMeta(name, meta); !s.ok()) return discard(s);
    failed_[name] = FailedIndex{name, restored.uuid, "the index is being restored"};
  }
  std::vector<RecoveryJob> jobs;
  Status loaded = LoadIndex(name, meta, &jobs);
  if (!loaded.ok()) {
    Status dropped = DropFailedIndex(name);
    if (!dropped.ok()) spdlog::error("restore of [{}]: {}", name, dropped.ToString());
    return discard(loaded.WithContext("opening the restored index [" + name + "]"));
  }
  {
    std::unique_lock lock(indices_mu_);
    failed_.erase(name);
  }
  for (RecoveryJob& job : jobs) RunRecoveryJob(job);
  return Status::OK();
}

}  // namespace lookalike::engine
