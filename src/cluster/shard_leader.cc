// Leader election and shard assignment; see shard_leader.h.
#include "cluster/shard_leader.h"

#include <spdlog/spdlog.h>

#include "cluster/shard_allocation.h"

namespace lookalike::cluster {

ShardLeader::ShardLeader(EtcdClient* etcd, ClusterState* state, std::string node,
                         std::function<int64_t()> lease)
    : etcd_(etcd), state_(state), node_(std::move(node)), lease_(std::move(lease)) {
  state_->AddListener([this] {
    {
      std::lock_guard<std::mutex> lock(mu_);
      changed_ = true;
    }
    wake_.notify_all();
  });
  thread_ = std::thread([this] { Loop(); });
}

ShardLeader::~ShardLeader() { Stop(); }

void ShardLeader::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ShardLeader::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    changed_ = false;
    lock.unlock();
    Round();
    lock.lock();
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || changed_; });
  }
}

void ShardLeader::Round() {
  std::shared_ptr<const ClusterSnapshot> snap = state_->snapshot();
  if (snap->leader.empty()) {
    int64_t lease = lease_();
    if (lease == 0) return;
    auto won = etcd_->CompareAndSwap(kLeaderKey, 0, node_, lease);
    if (won.ok() && won->succeeded) spdlog::info("cluster: {} is the shard-assigning leader", node_);
    return;  // the watch brings the new leader; assign in the next round
  }
  if (snap->leader != node_) return;
  // Assignments of deleted indices (the deleting node removes them too; this catches a delete
  // that was interrupted half-way).
  for (const auto& [uuid, shards] : snap->shards) {
    if (snap->FindByUuid(uuid) == nullptr) (void)etcd_->DeletePrefix(ShardsPrefixOf(uuid));
  }
  std::vector<ShardSlot> slots;
  for (const auto& [name, meta] : snap->indices) {
    for (int shard = 0; shard < meta.number_of_shards; ++shard) {
      ShardSlot slot{meta.uuid, shard, meta.number_of_replicas, std::nullopt};
      if (const ShardState* current = snap->FindShard(meta.uuid, shard)) {
        slot.current = current->assignment;
      }
      slots.push_back(std::move(slot));
    }
  }
  std::vector<std::string> live;
  for (const auto& [name, info] : snap->nodes) live.push_back(name);
  for (const AssignmentChange& change : AllocateShards(slots, live)) {
    const ShardState* current = snap->FindShard(change.index_uuid, change.shard);
    int64_t expected = current ? current->mod_revision : 0;
    auto written = etcd_->CompareAndSwap(ShardKey(change.index_uuid, change.shard), expected,
                                         EncodeShardAssignment(change.assignment));
    if (!written.ok()) {
      spdlog::warn("cluster: assigning shard {}/{} failed: {}", change.index_uuid, change.shard,
                   written.status().ToString());
      return;
    }
    if (written->succeeded) {
      spdlog::info("cluster: shard {}/{} → {} (term {})", change.index_uuid, change.shard,
                   EncodeShardAssignment(change.assignment), change.assignment.primary_term);
    }
  }
}

}  // namespace lookalike::cluster
