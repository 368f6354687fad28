// A node's local shard copies following the shard map; see shard_copies.h.
#include "cluster/shard_copies.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <set>

namespace lookalike::cluster {

ShardCopies::ShardCopies(Engine* engine, ShardLog* log, EtcdClient* etcd, ClusterState* state,
                         ShardCopiesConfig config)
    : engine_(engine), log_(log), etcd_(etcd), state_(state), config_(std::move(config)) {
  std::error_code ec;
  std::filesystem::create_directories(config_.applied_dir, ec);
  state_->AddListener([this] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      changed_ = true;
    }
    wake_.notify_all();
  });
  thread_ = std::thread([this] { Loop(); });
}

ShardCopies::~ShardCopies() { Stop(); }

void ShardCopies::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, applier] : appliers_) applier->Stop();
  appliers_.clear();
}

std::map<std::string, uint64_t> ShardCopies::Applied() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, uint64_t> out;
  for (const auto& [name, applier] : appliers_) out[name] = applier->applied();
  return out;
}

Result<std::vector<WriteOutcome>> ShardCopies::WriteResults(const std::string& local,
                                                            uint64_t sequence) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = appliers_.find(local);
  if (it == appliers_.end()) {
    return Status::NotFound("no shard copy [" + local + "] on this node")
        .WithKind(ErrorKind::kIndexNotFound);
  }
  return it->second->WriteResults(sequence);
}

void ShardCopies::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    changed_ = false;
    lock.unlock();
    Reconcile();
    lock.lock();
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || changed_; });
  }
}

bool ShardCopies::EnsureLocalIndex(const IndexMetadata& meta, const std::string& local) {
  if (engine_->IndexExists(local)) return true;
  auto definition = config_.parse_definition(meta);
  if (!definition.ok()) {
    spdlog::error("cluster: the definition of index {} does not parse: {}", meta.name,
                  definition.status().ToString());
    return false;
  }
  // The copy is one shard of the index and has no replicas of its own.
  definition->settings["index.number_of_shards"] = "1";
  definition->settings["index.number_of_replicas"] = "0";
  auto created = engine_->CreateIndex(local, *definition);
  if (!created.ok()) {
    spdlog::error("cluster: cannot create the local copy {}: {}", local,
                  created.status().ToString());
    return false;
  }
  // A fresh copy replays the stream from its start, whatever an old record says.
  std::error_code ec;
  std::filesystem::remove(config_.applied_dir + "/" + local, ec);
  spdlog::info("cluster: created local copy {}", local);
  return true;
}

namespace {
// Settings a copy keeps as its own: one shard, no replicas, the node's own uuid and dates.
bool CopyManagesSetting(const std::string& key) {
  return key == "index.number_of_shards" || key == "index.number_of_replicas" ||
         key == "index.uuid" || key == "index.provided_name" || key == "index.creation_date" ||
         key.rfind("index.version.", 0) == 0;
}
}  // namespace

void ShardCopies::FollowDefinition(const IndexMetadata& meta, const std::string& local) {
  auto known = definitions_.find(local);
  if (known != definitions_.end() && known->second.settings_json == meta.settings_json &&
      known->second.mappings_json == meta.mappings_json) {
    return;
  }
  auto definition = config_.parse_definition(meta);
  if (!definition.ok()) return;  // logged when the copy was created
  AppliedDefinition next{meta.settings_json, meta.mappings_json, definition->settings};
  if (known == definitions_.end()) {
    // Unknown since this process started: the copy's own settings are the reference.
    auto described = engine_->DescribeIndices(local);
    if (described.ok() && described->size() == 1) {
      known = definitions_.emplace(local, AppliedDefinition{"", "", described->front().settings})
                  .first;
    }
  }
  SettingsUpdate update;
  for (const auto& [key, value] : next.settings) {
    if (CopyManagesSetting(key)) continue;
    if (known == definitions_.end() || known->second.settings.count(key) == 0 ||
        known->second.settings.at(key) != value) {
      update[key] = value;
    }
  }
  if (known != definitions_.end() && !known->second.settings_json.empty()) {
    for (const auto& [key, value] : known->second.settings) {
      if (!CopyManagesSetting(key) && next.settings.count(key) == 0) update[key] = std::nullopt;
    }
  }
  // Failures are logged once per definition and not retried: the metadata was validated when
  // it was written, so a copy refusing it is a bug to look at, not a state to loop on.
  if (!update.empty()) {
    auto updated = engine_->UpdateSettings(local, update);
    if (!updated.ok()) {
      spdlog::warn("cluster: settings of {} not applied to the copy {}: {}", meta.name, local,
                   updated.status().ToString());
    }
  }
  auto mapped = engine_->PutMapping(local, definition->mapping);
  if (!mapped.ok()) {
    spdlog::warn("cluster: mapping of {} not applied to the copy {}: {}", meta.name, local,
                 mapped.status().ToString());
  }
  definitions_[local] = std::move(next);
}

void ShardCopies::DropLocalCopy(const std::string& local) {
  std::unique_ptr<ShardApplier> applier;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = appliers_.find(local);
    if (it != appliers_.end()) {
      applier = std::move(it->second);
      appliers_.erase(it);
    }
  }
  if (applier) applier->Stop();
  auto deleted = engine_->DeleteIndex(local);
  if (!deleted.ok()) {
    spdlog::warn("cluster: cannot delete the local copy {}: {}", local,
                 deleted.status().ToString());
    return;
  }
  std::error_code ec;
  std::filesystem::remove(config_.applied_dir + "/" + local, ec);
  spdlog::info("cluster: deleted local copy {}", local);
}

void ShardCopies::Reconcile() {
  std::shared_ptr<const ClusterSnapshot> snap = state_->snapshot();
  // Local copies this node should hold: name → (index, shard).
  std::map<std::string, std::pair<const IndexMetadata*, int>> wanted;
  for (const auto& [name, meta] : snap->indices) {
    IndexRoutes naming;
    naming.index = meta.name;
    naming.uuid = meta.uuid;
    for (int shard = 0; shard < meta.number_of_shards; ++shard) {
      const ShardState* state = snap->FindShard(meta.uuid, shard);
      if (state == nullptr || !state->assignment.Holds(config_.node)) continue;
      wanted[ShardIndexName(naming, shard)] = {&meta, shard};
    }
  }
  // Copies to drop: running ones no longer wanted, and local copies left from before a restart.
  std::set<std::string> drop;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [local, applier] : appliers_) {
      if (!wanted.count(local)) drop.insert(local);
    }
  }
  for (const IndexInfo& info : engine_->ListIndices()) {
    if (info.name.find('~') != std::string::npos && !wanted.count(info.name)) {
      drop.insert(info.name);
    }
  }
  for (const std::string& local : drop) {
    DropLocalCopy(local);
    definitions_.erase(local);
  }

  for (const auto& [local, target] : wanted) {
    bool running = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
      running = appliers_.count(local) > 0;
    }
    if (running) {
      FollowDefinition(*target.first, local);
      continue;
    }
    bool existed = engine_->IndexExists(local);
    if (!EnsureLocalIndex(*target.first, local)) continue;
    if (!existed) {
      // Created from the current definition: nothing to follow until it changes.
      auto definition = config_.parse_definition(*target.first);
      if (definition.ok()) {
        definitions_[local] = {target.first->settings_json, target.first->mappings_json,
                               definition->settings};
      }
    } else {
      FollowDefinition(*target.first, local);
    }
    ShardApplierConfig applier{target.first->uuid, target.second, local, config_.node,
                               config_.applied_dir + "/" + local, config_.lease};
    auto started = std::make_unique<ShardApplier>(engine_, log_, etcd_, std::move(applier));
    std::lock_guard<std::mutex> lock(mu_);
    appliers_[local] = std::move(started);
  }
}

}  // namespace lookalike::cluster
