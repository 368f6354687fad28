// The node that assigns shards (issue 9): every node campaigns for /lookalike/leader (a
// create-if-absent transaction under its membership lease); the holder writes the shard
// assignments AllocateShards computes whenever the cluster state changes (an index appears, a
// node joins or leaves) and once a second. Each write is a compare-and-swap on the key's
// revision, so a stale leader (its lease expired, another took over) cannot overwrite newer
// assignments. A leader that dies loses the key with its lease; another node takes over.
//
// Thread safety: runs on its own thread; Stop from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/cluster_state.h"
#include "cluster/etcd_client.h"

namespace lookalike::cluster {

class ShardLeader {
 public:
  /// `lease` returns the lease the node's membership holds (the leader key lives under it).
  /// `etcd` and `state` must outlive the leader.
  ShardLeader(EtcdClient* etcd, ClusterState* state, std::string node,
              std::function<int64_t()> lease);
  ~ShardLeader();
  ShardLeader(const ShardLeader&) = delete;
  ShardLeader& operator=(const ShardLeader&) = delete;

  /// Stops campaigning and assigning (the key goes with the lease); idempotent.
  void Stop();

 private:
  void Loop();
  // One round: campaign if nobody leads; assign if this node leads.
  void Round();

  EtcdClient* const etcd_;
  ClusterState* const state_;
  const std::string node_;
  const std::function<int64_t()> lease_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  bool changed_ = false;   // guarded by mu_: the state changed since the last round
  std::thread thread_;
};

}  // namespace lookalike::cluster
