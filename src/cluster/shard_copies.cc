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
  for (const std::string& local : drop) DropLocalCopy(local);

  for (const auto& [local, target] : wanted) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ || appliers_.count(local)) continue;
    }
    if (!EnsureLocalIndex(*target.first, local)) continue;
    ShardApplierConfig applier{target.first->uuid, target.second, local, config_.node,
                               config_.applied_dir + "/" + local, config_.lease};
    auto started = std::make_unique<ShardApplier>(engine_, log_, etcd_, std::move(applier));
    std::lock_guard<std::mutex> lock(mu_);
    appliers_[local] = std::move(started);
  }
}

}  // namespace lookalike::cluster
