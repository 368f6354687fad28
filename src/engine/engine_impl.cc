// EngineImpl: open/recovery, index management, snapshots; it owns the vector inserter.
#include "engine/engine_impl.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <random>

#include "common/glob.h"
#include "common/json_writer.h"
#include "engine/json_util.h"

namespace lookalike {

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  auto engine = std::make_unique<engine::EngineImpl>(options);
  LOOKALIKE_RETURN_IF_ERROR(engine->Init());
  return std::unique_ptr<Engine>(std::move(engine));
}

namespace engine {
namespace {

namespace fs = std::filesystem;

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomId(size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  thread_local std::mt19937_64 rng(std::random_device{}() ^
                                   static_cast<uint64_t>(NowMillis()) ^
                                   std::hash<std::thread::id>()(std::this_thread::get_id()));
  std::string out(n, 'A');
  for (auto& c : out) c = kAlphabet[rng() & 63];
  return out;
}

// Unavailable / kIndexUnavailable: what Elasticsearch answers for an index whose primary shard
// is not active, which is what an index that failed to load amounts to.
Status FailedIndexError(const FailedIndex& failed) {
  return Status::Unavailable("index [" + failed.name + "] failed to load and is unavailable (" +
                             failed.reason + "); delete it to recover")
      .WithKind(ErrorKind::kIndexUnavailable);
}


}  // namespace

std::string GenerateDocId() { return RandomId(20); }
bool IndexGlob(std::string_view pattern, std::string_view s) { return GlobMatch(pattern, s); }

EngineImpl::~EngineImpl() { Shutdown(); }

Status EngineImpl::CheckOpen() const {
  if (shut_down_) return Status::Unavailable("the engine is shut down");
  return Status::OK();
}

Status EngineImpl::Init() {
  if (options_.data_dir.empty()) return Status::InvalidArgument("data_dir must be set");
  std::error_code ec;
  fs::create_directories(options_.data_dir + "/db", ec);
  fs::create_directories(options_.data_dir + "/vectors", ec);
  if (ec) return Status::IOError("cannot create " + options_.data_dir + ": " + ec.message());
  storage::DocStoreOptions so;
  so.sync = options_.durability == Durability::kRequest;
  LOOKALIKE_ASSIGN_OR_RETURN(store_, storage::DocStore::Open(options_.data_dir + "/db", so));
  searcher_ = std::make_unique<Searcher>(store_.get());
  LOOKALIKE_RETURN_IF_ERROR(StartDiskMonitor());
  inserter_ = std::make_unique<VectorInserter>(
      store_.get(), VectorInserter::Options{options_.threads, options_.auto_snapshot_vectors},
      [this](std::string_view what, std::string_view index, size_t refused, size_t total,
             const Status& first) { LogRefused(what, index, refused, total, first); });
  writer_ = std::make_unique<Writer>(store_.get(), inserter_.get());
  if (options_.durability == Durability::kAsync) syncer_ = std::thread([this] { SyncLoop(); });
  for (const auto& [name, meta] : store_->ListIndexMeta()) {
    Status loaded = LoadIndex(name, meta);
    if (loaded.ok()) continue;
    // One unreadable index must not take the others down with it.
    FailedIndex failed{name, "", loaded.message()};
    simdjson::dom::parser parser;
    auto root = ParseStoredJson(parser, meta);
    std::string_view uuid;
    if (root.ok() && root->at_key("uuid").get_string().get(uuid) == simdjson::SUCCESS) {
      failed.uuid = std::string(uuid);
    } else if (size_t at = meta.find("\"uuid\":\""); at != std::string::npos) {
      // Unparsable metadata: find the uuid the way DocStore::Open does, so that DELETE can
      // still drop the index's column family and snapshots.
      size_t end = meta.find('"', at + 8);
      if (end != std::string::npos) failed.uuid = meta.substr(at + 8, end - at - 8);
    }
    std::unique_lock lock(indices_mu_);
    failed_[name] = std::move(failed);
  }
  RemoveRestoreLeftovers();
  metrics_.AddCollector([this](std::vector<MetricFamily>* out) { CollectMetrics(out); });
  if (!recovery_jobs_.empty()) recovery_ = std::thread([this] { RecoveryLoop(); });
  RecomputeSlowLogFloor();
  return Status::OK();
}

Status EngineImpl::LoadIndex(const std::string& name, const std::string& meta,
                             std::vector<RecoveryJob>* jobs) {
  RecoveryJob job;
  LOOKALIKE_ASSIGN_OR_RETURN(std::shared_ptr<Index> index,
                             LoadStoredIndex(store_.get(), options_.data_dir, name, meta, &job));
  {
    // Published only once everything loaded: a failure above leaves no trace in indices_.
    std::unique_lock lock(indices_mu_);
    AttachMetrics(index.get());
    indices_[name] = index;
  }
  if (!job.docs.empty() || !job.tombstones.empty()) {
    index->recovering = true;
    index->AddPendingVectors(1);
    (jobs != nullptr ? jobs : &recovery_jobs_)->push_back(std::move(job));
  }
  return Status::OK();
}

void EngineImpl::RecoveryLoop() {
  for (RecoveryJob& job : recovery_jobs_) RunRecoveryJob(job);
  recovery_jobs_.clear();
}

void EngineImpl::RunRecoveryJob(RecoveryJob& job) {
  engine::RunRecoveryJob(job, store_.get(), inserter_.get(), recovery_abort_);
}

Status EngineImpl::FailedIndexStatus(std::string_view name) const {
  std::shared_lock lock(indices_mu_);
  auto it = failed_.find(std::string(name));
  if (it == failed_.end()) return Status::OK();
  return FailedIndexError(it->second);
}

Status EngineImpl::DropFailedIndex(const std::string& name) {
  FailedIndex failed;
  {
    std::unique_lock lock(indices_mu_);
    auto it = failed_.find(name);
    if (it == failed_.end()) return IndexNotFound(name);
    failed = it->second;
    failed_.erase(it);
  }
  LOOKALIKE_RETURN_IF_ERROR(store_->DropIndex(failed.name, failed.uuid));
  // The uuid comes from metadata that failed to load: only a well-formed one names a folder.
  bool well_formed = !failed.uuid.empty();
  for (char c : failed.uuid) {
    well_formed &= std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
  }
  if (well_formed) {
    std::error_code ec;
    fs::remove_all(options_.data_dir + "/vectors/" + failed.uuid, ec);
  }
  return Status::OK();
}

std::shared_ptr<Index> EngineImpl::Find(std::string_view name) const {
  std::shared_lock lock(indices_mu_);
  auto it = indices_.find(std::string(name));
  return it == indices_.end() ? nullptr : it->second;
}

Result<std::vector<std::shared_ptr<Index>>> EngineImpl::Resolve(std::string_view expr,
                                                                bool allow_all) const {
  std::vector<std::shared_ptr<Index>> out;
  std::shared_lock lock(indices_mu_);
  if (expr.empty() || expr == "_all" || expr == "*") {
    if (!allow_all) return IllegalArgument("this operation needs explicit index names");
    for (const auto& [n, idx] : indices_) out.push_back(idx);
    return out;
  }
  size_t start = 0;
  while (start <= expr.size()) {
    size_t comma = expr.find(',', start);
    if (comma == std::string_view::npos) comma = expr.size();
    std::string_view part = expr.substr(start, comma - start);
    start = comma + 1;
    if (part.empty()) continue;
    if (part.find('*') != std::string_view::npos) {
      for (const auto& [n, idx] : indices_) {
        if (GlobMatch(part, n) && std::find(out.begin(), out.end(), idx) == out.end()) {
          out.push_back(idx);
        }
      }
      continue;
    }
    auto it = indices_.find(std::string(part));
    if (it == indices_.end()) {
      auto failed = failed_.find(std::string(part));
      if (failed != failed_.end()) {
        return FailedIndexError(failed->second);
      }
      return IndexNotFound(part);
    }
    if (std::find(out.begin(), out.end(), it->second) == out.end()) out.push_back(it->second);
  }
  return out;
}

Result<std::shared_ptr<Index>> EngineImpl::CreateIndexInternal(std::string_view name,
                                                               const IndexDefinition& definition) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  LOOKALIKE_RETURN_IF_ERROR(ValidateIndexName(name));
  if (Status blocked = CheckWritable(name); !blocked.ok()) {
    LogRefused("create index", name, 1, 1, blocked);
    return blocked;
  }
  auto index = std::make_shared<Index>();
  index->name = std::string(name);
  LOOKALIKE_RETURN_IF_ERROR(index->Define(definition));
  LOOKALIKE_RETURN_IF_ERROR(index->mapping.CheckLimits(index->settings.mapping_limits));
  LOOKALIKE_RETURN_IF_ERROR(CheckEmbedModels(options_.embedder.get(), nullptr, index->mapping));
  LOOKALIKE_RETURN_IF_ERROR(index->SyncVectorFields());
  std::unique_lock lock(indices_mu_);
  if (failed_.count(index->name)) {
    return Status::AlreadyExists("index [" + index->name + "/" + failed_[index->name].uuid +
                                 "] already exists")
        .WithKind(ErrorKind::kIndexAlreadyExists);
  }
  auto existing = indices_.find(index->name);
  if (existing != indices_.end()) {
    return Status::AlreadyExists("index [" + index->name + "/" + existing->second->uuid +
                                 "] already exists")
        .WithKind(ErrorKind::kIndexAlreadyExists);
  }
  index->uuid = RandomId(22);
  index->creation_date = NowMillis();
  index->snapshot_dir = options_.data_dir + "/vectors/" + index->uuid;
  LOOKALIKE_ASSIGN_OR_RETURN(index->space,
                             store_->CreateIndex(index->name, index->uuid, index->MetaJson()));
  AttachMetrics(index.get());
  indices_[index->name] = index;
  return index;
}

Result<std::shared_ptr<Index>> EngineImpl::AutoCreate(const std::string& name) {
  if (auto idx = Find(name)) return idx;
  auto created = CreateIndexInternal(name, IndexDefinition{});
  if (!created.ok() && created.status().code() == StatusCode::kAlreadyExists) {
    if (auto idx = Find(name)) return idx;
  }
  return created;
}

Result<CreatedIndex> EngineImpl::CreateIndex(std::string_view name,
                                             const IndexDefinition& definition) {
  LOOKALIKE_ASSIGN_OR_RETURN(auto index, CreateIndexInternal(name, definition));
  RecomputeSlowLogFloor();
  return CreatedIndex{index->name};
}

Result<Acknowledged> EngineImpl::DeleteIndex(std::string_view name) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  if (name.empty() || name == "_all" || name == "*") {
    return IllegalArgument("Wildcard expressions or all indices are not allowed");
  }
  // Failed indices named explicitly are dropped here (Resolve refuses them); wildcards never
  // select them, so an accident cannot delete data that might still be recoverable.
  std::string remaining;
  for (size_t start = 0; start <= name.size();) {
    size_t comma = std::min(name.find(',', start), name.size());
    std::string part(name.substr(start, comma - start));
    start = comma + 1;
    if (part.empty()) continue;
    if (!FailedIndexStatus(part).ok()) {
      LOOKALIKE_RETURN_IF_ERROR(DropFailedIndex(part));
    } else {
      remaining += (remaining.empty() ? "" : ",") + part;
    }
  }
  if (remaining.empty()) return Acknowledged{};
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(remaining, false));
  for (const auto& index : targets) {
    {
      std::unique_lock lock(indices_mu_);
      auto it = indices_.find(index->name);
      if (it == indices_.end() || it->second != index) continue;
      indices_.erase(it);
      metrics_.RemoveSeries("index", index->name);
    }
    index->dropped = true;
    { std::lock_guard<std::mutex> barrier(index->write_mu); }  // in-flight writers finish
    WaitVectors(index.get());  // queued tasks (and a recovery token) drain
    std::lock_guard<std::mutex> wl(index->write_mu);
    LOOKALIKE_RETURN_IF_ERROR(store_->DropIndex(index->name, index->uuid));
    std::error_code ec;
    fs::remove_all(index->snapshot_dir, ec);
  }
  RecomputeSlowLogFloor();
  return Acknowledged{};
}

bool EngineImpl::IndexExists(std::string_view name) const {
  auto r = Resolve(name, true);
  return (r.ok() && !r->empty()) || r.status().code() == StatusCode::kUnavailable;
}

Result<std::vector<IndexDescription>> EngineImpl::DescribeIndices(std::string_view name,
                                                                  bool include_defaults) const {
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(name, true));
  std::vector<IndexDescription> out;
  out.reserve(targets.size());
  for (const auto& index : targets) {
    std::shared_lock lock(index->data_mu);
    IndexDescription& d = out.emplace_back();
    d.name = index->name;
    d.mapping = index->mapping.Describe();
    d.settings = index->DescribeSettings();
    if (include_defaults) d.defaults = DefaultSettings(index->settings.flat);
  }
  return out;
}

Result<Acknowledged> EngineImpl::PutMapping(std::string_view name,
                                            const MappingDefinition& mapping) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(name, true));
  for (const auto& index : targets) {
    if (Status blocked = CheckWritable(index->name); !blocked.ok()) {
      LogRefused("put mapping", index->name, 1, 1, blocked);
      return blocked;
    }
    std::lock_guard<std::mutex> wl(index->write_mu);
    Mapping updated = index->mapping;
    LOOKALIKE_RETURN_IF_ERROR(updated.Merge(mapping, index->settings.knn_space_type));
    LOOKALIKE_RETURN_IF_ERROR(updated.CheckLimits(index->settings.mapping_limits));
    LOOKALIKE_RETURN_IF_ERROR(
        CheckEmbedModels(options_.embedder.get(), &index->mapping, updated));
    {
      std::unique_lock lock(index->data_mu);
      index->mapping = std::move(updated);
      LOOKALIKE_RETURN_IF_ERROR(index->SyncVectorFields());
    }
    LOOKALIKE_RETURN_IF_ERROR(store_->PutIndexMeta(index->name, index->MetaJson()));
  }
  return Acknowledged{};
}

Result<ShardsSummary> EngineImpl::Refresh(std::string_view name) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(name, true));
  for (const auto& index : targets) WaitVectors(index.get());
  return ShardsSummary{};
}

Status EngineImpl::SnapshotIndex(Index* index) {
  WaitVectors(index);  // first without write_mu: recovery needs it to finish
  std::lock_guard<std::mutex> wl(index->write_mu);
  WaitVectors(index);
  if (index->dropped || index->recovering) return Status::OK();
  std::error_code ec;
  fs::create_directories(index->snapshot_dir, ec);
  int64_t min_covered = INT64_MAX;
  for (auto& [field, vf] : index->vectors) {
    int64_t covered = store_->GetSnapshotSeq(index->space, field);
    if (covered < index->last_seq || !fs::exists(index->SnapshotPath(*vf))) {
      Status s = vf->index->Save(index->SnapshotPath(*vf));
      if (s.code() == StatusCode::kUnsupported) {
        min_covered = -1;
        continue;
      }
      if (!s.ok()) {  // the previous snapshot file is untouched; the next flush retries
        s = s.WithContext("saving the vector index of [" + index->name + "][" + field + "]");
        LogRefused("vector snapshot", index->name, 1, 1, s);
        return s;
      }
      // The file is complete before its seq_no is recorded: a crash in between leaves an older
      // seq_no, and replaying from it is idempotent (adds replace, removes of absent labels are
      // ignored).
      LOOKALIKE_RETURN_IF_ERROR(store_->SetSnapshotSeq(index->space, field, index->last_seq));
      covered = index->last_seq;
      vf->unsaved = 0;
    }
    min_covered = std::min(min_covered, covered);
  }
  if (min_covered != INT64_MAX && min_covered >= 0) {
    LOOKALIKE_RETURN_IF_ERROR(store_->PruneTombstones(index->space, min_covered));
  }
  return Status::OK();
}

Result<ShardsSummary> EngineImpl::Flush(std::string_view name) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(name, true));
  for (const auto& index : targets) {
    LOOKALIKE_RETURN_IF_ERROR(SnapshotIndex(index.get()));
    if (!index->dropped) LOOKALIKE_RETURN_IF_ERROR(store_->FlushSpace(index->space));
  }
  LOOKALIKE_RETURN_IF_ERROR(store_->SyncWal());
  return ShardsSummary{};
}

void EngineImpl::WaitVectors(Index* index) { VectorInserter::WaitIdle(index); }

void EngineImpl::SyncLoop() {
  std::unique_lock lock(sync_mu_);
  while (!stopping_) {
    sync_cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) break;
    lock.unlock();
    (void)store_->SyncWal();
    lock.lock();
  }
}

void EngineImpl::Shutdown() {
  if (shut_down_.exchange(true)) return;
  recovery_abort_ = true;
  if (recovery_.joinable()) recovery_.join();
  std::vector<std::shared_ptr<Index>> all;
  {
    std::shared_lock lock(indices_mu_);
    for (const auto& [n, idx] : indices_) all.push_back(idx);
  }
  for (const auto& index : all) {
    WaitVectors(index.get());
    if (options_.snapshot_on_shutdown) (void)SnapshotIndex(index.get());
  }
  {
    std::lock_guard<std::mutex> lock(sync_mu_);
    stopping_ = true;
  }
  if (inserter_) inserter_->Stop();
  sync_cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  if (disk_monitor_) disk_monitor_->Stop();  // its tick uses store_
  if (store_) (void)store_->SyncWal();
  {
    std::unique_lock lock(indices_mu_);
    indices_.clear();
  }
  store_.reset();
}

}  // namespace engine
}  // namespace lookalike
