#include "snapshot/snapshot_ops.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>

#include "common/file_env.h"
#include "snapshot/record_chunks.h"
#include "snapshot/sha256.h"

namespace lookalike::snapshot {
namespace {

constexpr uint64_t kMaxChunkBytes = 256ull << 20;

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NewSnapshotUuid() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::random_device rd;
  std::mt19937_64 rng((uint64_t(rd()) << 32) ^ rd() ^ uint64_t(NowMillis()));
  std::string out(22, 'A');
  for (char& c : out) c = kAlphabet[rng() & 63];
  return out;
}

bool Glob(std::string_view pattern, std::string_view s) {
  if (pattern.empty()) return s.empty();
  if (pattern.front() == '*') {
    for (size_t i = 0; i <= s.size(); ++i) {
      if (Glob(pattern.substr(1), s.substr(i))) return true;
    }
    return false;
  }
  return !s.empty() && pattern.front() == s.front() && Glob(pattern.substr(1), s.substr(1));
}

Status SnapshotMissing(const std::string& repository, const std::string& snapshot) {
  return Status::NotFound("[" + repository + ":" + snapshot + "] is missing")
      .WithKind(ErrorKind::kSnapshotMissing);
}

Status RestoreError(const std::string& repository, const SnapshotEntry& entry,
                    const std::string& why) {
  return Status::IOError("[" + repository + ":" + entry.snapshot + "/" + entry.uuid + "] " + why)
      .WithKind(ErrorKind::kRestoreFailed);
}

// Copies one captured index into the repository: chunks of records, then vector files.
Status SnapshotIndex(IndexCapture& capture, const FsRepository& repo, ManifestIndex* out,
                     SnapshotEntry* stats) {
  out->name = capture.name();
  out->meta_json = capture.meta_json();
  out->docs_count = capture.docs_count();
  auto add = [&](ManifestFile file, bool added) {
    ++stats->total_files;
    stats->total_bytes += file.size;
    if (added) {
      ++stats->new_files;
      stats->new_bytes += file.size;
    }
    out->files.push_back(std::move(file));
  };
  RecordChunker chunker([&](std::string chunk) -> Status {
    bool added = false;
    LOOKALIKE_ASSIGN_OR_RETURN(std::string sha, repo.PutBlob(chunk, &added));
    char name[32];
    std::snprintf(name, sizeof(name), "records-%06zu", out->files.size());
    add(ManifestFile{name, FileKind::kRecords, sha, chunk.size()}, added);
    return Status::OK();
  });
  LOOKALIKE_RETURN_IF_ERROR(capture.ForEachRecord(
      [&](std::string_view key, std::string_view value) { return chunker.Add(key, value); }));
  LOOKALIKE_RETURN_IF_ERROR(chunker.Finish());
  for (const std::string& name : capture.FileNames()) {
    // Hash first: an unchanged vector file is then not copied again.
    Sha256 hash;
    uint64_t size = 0;
    LOOKALIKE_RETURN_IF_ERROR(capture.ReadFile(name, [&](std::string_view bytes) {
      hash.Update(bytes);
      size += bytes.size();
      return Status::OK();
    }));
    std::string sha = hash.HexDigest();
    bool added = !repo.HasBlob(sha);
    if (added) {
      LOOKALIKE_RETURN_IF_ERROR(repo.PutBlobStream(
          sha, [&](const FileChunkSink& sink) { return capture.ReadFile(name, sink); }));
    }
    add(ManifestFile{name, FileKind::kVectors, sha, size}, added);
  }
  return Status::OK();
}

// What Engine::RestoreIndex reads: one manifest index, verified blob by blob.
class RepositorySource final : public IndexRestoreSource {
 public:
  RepositorySource(const FsRepository& repo, const ManifestIndex& index)
      : repo_(repo), index_(index) {}
  const std::string& meta_json() const override { return index_.meta_json; }
  Status ForEachRecord(const IndexRecordSink& sink) override {
    for (const ManifestFile& file : index_.files) {
      if (file.kind != FileKind::kRecords) continue;
      LOOKALIKE_ASSIGN_OR_RETURN(std::string chunk,
                                 repo_.ReadBlob(file.blob, file.size, kMaxChunkBytes));
      LOOKALIKE_RETURN_IF_ERROR(ForEachChunkRecord(chunk, sink));
    }
    return Status::OK();
  }
  std::vector<std::string> FileNames() const override {
    std::vector<std::string> out;
    for (const ManifestFile& file : index_.files) {
      if (file.kind == FileKind::kVectors) out.push_back(file.name);
    }
    return out;
  }
  Status WriteFile(const std::string& name, const std::string& path) override {
    for (const ManifestFile& file : index_.files) {
      if (file.kind != FileKind::kVectors || file.name != name) continue;
      // Written whole or not at all; a checksum mismatch abandons the temporary file.
      return WriteFileAtomically(FileEnv::Default(), path, [&](WritableFile* out) {
        return repo_.StreamBlob(file.blob, file.size, [&](std::string_view bytes) {
          return out->Append(bytes.data(), bytes.size());
        });
      });
    }
    return Status::NotFound("no vector file [" + name + "] in the snapshot");
  }

 private:
  const FsRepository& repo_;
  const ManifestIndex& index_;
};

// The snapshots being created in this process (for _snapshot/_status); an entry lives as long
// as the CreateSnapshot call that registered it.
class RunningRegistry {
 public:
  static RunningRegistry& Get() {
    static RunningRegistry registry;
    return registry;
  }
  uint64_t Add(RunningSnapshot s) {
    std::lock_guard lock(mu_);
    running_.emplace(++next_, std::move(s));
    return next_;
  }
  void Remove(uint64_t id) {
    std::lock_guard lock(mu_);
    running_.erase(id);
  }
  std::vector<RunningSnapshot> List(const std::string& repository) const {
    std::lock_guard lock(mu_);
    std::vector<RunningSnapshot> out;
    for (const auto& [id, s] : running_) {
      if (repository.empty() || s.repository == repository) out.push_back(s);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  uint64_t next_ = 0;                            // guarded by mu_
  std::map<uint64_t, RunningSnapshot> running_;  // guarded by mu_
};

class RunningScope {
 public:
  explicit RunningScope(RunningSnapshot s) : id_(RunningRegistry::Get().Add(std::move(s))) {}
  ~RunningScope() { RunningRegistry::Get().Remove(id_); }
  RunningScope(const RunningScope&) = delete;
  RunningScope& operator=(const RunningScope&) = delete;

 private:
  uint64_t id_;
};

}  // namespace

std::vector<RunningSnapshot> RunningSnapshots(const std::string& repository) {
  return RunningRegistry::Get().List(repository);
}

Result<std::vector<std::string>> SelectNames(const std::vector<std::string>& names,
                                             const std::string& expression,
                                             bool ignore_unavailable) {
  std::vector<std::string> out;
  if (expression.empty() || expression == "_all" || expression == "*") return names;
  std::string_view rest = expression;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string part(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (part.empty()) continue;
    if (part.front() == '-') {
      std::string pattern = part.substr(1);
      std::erase_if(out, [&](const std::string& n) { return Glob(pattern, n); });
      continue;
    }
    bool found = false;
    for (const std::string& n : names) {
      if (Glob(part, n)) {
        found = true;
        if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
      }
    }
    if (!found && part.find('*') == std::string::npos && !ignore_unavailable) {
      return Status::NotFound("no such index [" + part + "]");
    }
  }
  return out;
}

Result<std::string> RenameIndex(const std::string& name, const std::string& pattern,
                                const std::string& replacement) {
  if (pattern.empty()) return name;
  try {
    std::regex re(pattern, std::regex::ECMAScript);
    return std::regex_replace(name, re, replacement);
  } catch (const std::regex_error& e) {
    return Status::InvalidArgument("invalid rename_pattern [" + pattern + "]: " + e.what());
  }
}

Result<SnapshotEntry> CreateSnapshot(Engine& engine, const FsRepository& repo,
                                     const std::string& repository,
                                     const CreateSnapshotRequest& request) {
  LOOKALIKE_RETURN_IF_ERROR(ValidateSnapshotName(repository, request.snapshot));
  LOOKALIKE_ASSIGN_OR_RETURN(FsRepository::Lock lock, repo.TryLock(repository));
  LOOKALIKE_ASSIGN_OR_RETURN(RepositoryIndex index, repo.ReadIndex());
  if (index.Find(request.snapshot) != nullptr) {
    return Status::InvalidArgument("[" + repository + ":" + request.snapshot +
                                   "] Invalid snapshot name [" + request.snapshot +
                                   "], snapshot with the same name already exists")
        .WithKind(ErrorKind::kInvalidSnapshotName);
  }
  std::vector<std::string> all;
  for (const IndexInfo& info : engine.ListIndices()) {
    if (info.failure.empty()) all.push_back(info.name);
  }
  auto selected = SelectNames(all, request.indices, request.ignore_unavailable);
  if (!selected.ok()) {
    return Status::NotFound(selected.status().message()).WithKind(ErrorKind::kIndexNotFound);
  }
  SnapshotManifest manifest;
  manifest.snapshot = request.snapshot;
  manifest.uuid = NewSnapshotUuid();
  manifest.start_time_ms = NowMillis();
  RunningScope running({repository, request.snapshot, manifest.start_time_ms, *selected});
  SnapshotEntry entry;
  // Every capture is taken before any copying, so the snapshot is one moment for all indices
  // as nearly as the engine allows (each index's own view is exact).
  std::vector<std::unique_ptr<IndexCapture>> captures;
  for (const std::string& name : *selected) {
    auto capture = engine.CaptureIndex(name, request.flush_vectors);
    if (!capture.ok() && request.ignore_unavailable &&
        capture.status().code() == StatusCode::kNotFound) {
      continue;
    }
    if (!capture.ok()) return capture.status();
    captures.push_back(std::move(capture).value());
  }
  for (auto& capture : captures) {
    ManifestIndex out;
    LOOKALIKE_RETURN_IF_ERROR(SnapshotIndex(*capture, repo, &out, &entry)
                                  .WithContext("snapshot of index [" + capture->name() + "]"));
    entry.indices.push_back(out.name);
    manifest.indices.push_back(std::move(out));
    capture.reset();
  }
  manifest.end_time_ms = std::max(NowMillis(), manifest.start_time_ms);
  LOOKALIKE_ASSIGN_OR_RETURN(entry.manifest_sha256, repo.WriteManifest(manifest));
  entry.snapshot = manifest.snapshot;
  entry.uuid = manifest.uuid;
  entry.start_time_ms = manifest.start_time_ms;
  entry.end_time_ms = manifest.end_time_ms;
  index.snapshots.push_back(entry);
  LOOKALIKE_RETURN_IF_ERROR(repo.WriteIndex(index));
  return entry;
}

Result<std::vector<SnapshotEntry>> GetSnapshots(const FsRepository& repo,
                                                const std::string& repository,
                                                const std::string& names) {
  LOOKALIKE_ASSIGN_OR_RETURN(RepositoryIndex index, repo.ReadIndex());
  std::vector<std::string> all;
  for (const SnapshotEntry& e : index.snapshots) all.push_back(e.snapshot);
  auto selected = SelectNames(all, names, false);
  if (!selected.ok()) {
    std::string missing = selected.status().message();
    missing = missing.substr(missing.find('[') + 1);
    missing.pop_back();
    return SnapshotMissing(repository, missing);
  }
  std::vector<SnapshotEntry> out;
  for (const SnapshotEntry& e : index.snapshots) {
    if (std::find(selected->begin(), selected->end(), e.snapshot) != selected->end()) {
      out.push_back(e);
    }
  }
  return out;
}

Status DeleteSnapshot(const FsRepository& repo, const std::string& repository,
                      const std::string& snapshot) {
  LOOKALIKE_ASSIGN_OR_RETURN(FsRepository::Lock lock, repo.TryLock(repository));
  LOOKALIKE_ASSIGN_OR_RETURN(RepositoryIndex index, repo.ReadIndex());
  auto it = std::find_if(index.snapshots.begin(), index.snapshots.end(),
                         [&](const SnapshotEntry& e) { return e.snapshot == snapshot; });
  if (it == index.snapshots.end()) return SnapshotMissing(repository, snapshot);
  std::string uuid = it->uuid;
  index.snapshots.erase(it);
  // The snapshot disappears with this write; its files are garbage from here on.
  LOOKALIKE_RETURN_IF_ERROR(repo.WriteIndex(index));
  (void)repo.RemoveManifest(uuid);
  std::set<std::string> keep;
  for (const SnapshotEntry& e : index.snapshots) {
    // A remaining manifest that cannot be read keeps every blob: better a leak than a loss.
    auto manifest = repo.ReadManifest(e);
    if (!manifest.ok()) return Status::OK();
    for (const ManifestIndex& i : manifest->indices) {
      for (const ManifestFile& f : i.files) keep.insert(f.blob);
    }
  }
  return repo.RemoveBlobsExcept(keep).status();
}

Result<RestoreResult> RestoreSnapshot(Engine& engine, const FsRepository& repo,
                                      const std::string& repository,
                                      const RestoreSnapshotRequest& request) {
  LOOKALIKE_ASSIGN_OR_RETURN(RepositoryIndex index, repo.ReadIndex());
  const SnapshotEntry* entry = index.Find(request.snapshot);
  if (entry == nullptr) return SnapshotMissing(repository, request.snapshot);
  auto manifest = repo.ReadManifest(*entry);
  if (!manifest.ok()) return RestoreError(repository, *entry, manifest.status().message());
  std::vector<std::string> names;
  for (const ManifestIndex& i : manifest->indices) names.push_back(i.name);
  auto selected = SelectNames(names, request.indices, request.ignore_unavailable);
  if (!selected.ok()) {
    std::string missing = selected.status().message();
    return RestoreError(
        repository, *entry,
        "indices [" +
            missing.substr(missing.find('[') + 1, missing.size() - missing.find('[') - 2) +
            "] missing");
  }
  // Targets first, all of them, so a name clash refuses the whole restore up front.
  std::vector<std::pair<const ManifestIndex*, std::string>> plan;
  std::set<std::string> targets;
  for (const ManifestIndex& i : manifest->indices) {
    if (std::find(selected->begin(), selected->end(), i.name) == selected->end()) continue;
    LOOKALIKE_ASSIGN_OR_RETURN(std::string target, RenameIndex(i.name, request.rename_pattern,
                                                               request.rename_replacement));
    if (!targets.insert(target).second) {
      return RestoreError(repository, *entry,
                          "indices are renamed into the same index [" + target + "]");
    }
    if (Status valid = ValidateIndexName(target); !valid.ok()) return valid;
    if (engine.IndexExists(target)) {
      return RestoreError(repository, *entry,
                          "cannot restore index [" + target +
                              "] because an open index with same name already exists in the "
                              "cluster. Either close or delete the existing index or restore "
                              "the index under a different name by providing a rename pattern "
                              "and replacement name");
    }
    plan.emplace_back(&i, target);
  }
  RestoreResult result;
  result.snapshot = entry->snapshot;
  for (const auto& [source_index, target] : plan) {
    RepositorySource source(repo, *source_index);
    Status s = engine.RestoreIndex(target, source);
    if (s.code() == StatusCode::kAlreadyExists) {
      return RestoreError(repository, *entry,
                          "cannot restore index [" + target +
                              "] because an open index with same name already exists in the "
                              "cluster");
    }
    if (s.code() == StatusCode::kCorruption) {
      return RestoreError(repository, *entry,
                          "cannot restore index [" + target + "]: " + s.message());
    }
    LOOKALIKE_RETURN_IF_ERROR(s);
    result.indices.push_back(target);
  }
  return result;
}

}  // namespace lookalike::snapshot
