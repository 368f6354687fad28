// Node membership in etcd (issue 9): a node of a cluster owns the key
// /lookalike/nodes/<name> under a lease it keeps alive; when the node stops renewing (crash,
// partition), etcd deletes the key after the lease's TTL and the others see it leave (watch on
// the prefix). The value is the node's description as JSON: {"name":…,"http":"host:port"}.
//
// Thread safety: Join/Leave from one thread; the keep-alive runs on the membership's own
// thread and touches only the lease it owns.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "cluster/etcd_client.h"
#include "lookalike/status.h"

namespace lookalike::cluster {

/// Where the cluster's metadata lives in etcd (docs/design/cluster.md).
inline constexpr std::string_view kNodesPrefix = "/lookalike/nodes/";

struct NodeInfo {
  std::string name;  // [A-Za-z0-9_.-], unique among live nodes
  std::string http;  // "host:port" other nodes and clients reach this node's REST API on
};

/// The JSON value stored under kNodesPrefix + name.
std::string EncodeNodeInfo(const NodeInfo& info);

class NodeMembership {
 public:
  /// Registers the node under a lease of `ttl` and starts renewing it every ttl/3.
  /// AlreadyExists when a live node holds the name; Unavailable when etcd does not answer;
  /// InvalidArgument for a bad name. `etcd` must outlive the membership.
  ///
  /// `lease_file` (optional, in the node's data folder): the id of the lease the node holds is
  /// recorded there. A node restarted on the same data after a crash finds its old key still
  /// held by that lease (for up to the TTL) and takes it over: the key moves to the new lease
  /// (compare-and-swap on its revision), the old lease is revoked, and the node keeps its shard
  /// copies instead of being refused and losing them when the old lease expires. Only the
  /// process owning the data folder knows that lease id, so a second live process with the same
  /// name (another folder) is still refused.
  static Result<std::unique_ptr<NodeMembership>> Join(EtcdClient* etcd, NodeInfo info,
                                                      std::chrono::seconds ttl,
                                                      std::string lease_file = {});
  /// Leave()s.
  ~NodeMembership();
  NodeMembership(const NodeMembership&) = delete;
  NodeMembership& operator=(const NodeMembership&) = delete;

  /// Stops renewing and revokes the lease, so the key goes at once (not after the TTL).
  /// Idempotent; etcd being down is not an error here (the lease then simply expires).
  void Leave();

  /// The lease currently holding the key (changes when the membership had to re-register).
  int64_t lease_id() const;
  static std::string Key(std::string_view name);

 private:
  NodeMembership(EtcdClient* etcd, NodeInfo info, std::chrono::seconds ttl, std::string lease_file)
      : etcd_(etcd), info_(std::move(info)), ttl_(ttl), lease_file_(std::move(lease_file)) {}
  // Grants a lease and creates the key under it (create-if-absent, or a takeover of this data
  // folder's previous registration).
  Status Register();
  // Moves the key from the lease recorded in lease_file_ to `lease` when that recorded lease
  // still holds it; succeeded == false when the key belongs to someone else.
  Result<CasResult> TakeOverOwnRegistration(int64_t lease);
  void KeepAliveLoop();

  EtcdClient* const etcd_;
  const NodeInfo info_;
  const std::chrono::seconds ttl_;
  const std::string lease_file_;  // "" = no takeover after a restart
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  int64_t lease_id_ = 0;   // guarded by mu_
  std::thread thread_;
};

}  // namespace lookalike::cluster
