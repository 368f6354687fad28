// `serve --cluster etcd=URL[,URL…] --nats nats://…[,…] --node-name N`: the node joins a cluster
// (issue 9): it registers in etcd under a kept-alive lease, keeps the cluster state (watched),
// campaigns to be the shard-assigning leader, keeps its local shard copies in step with the
// shard map (each applying its shard's JetStream stream), and hands the REST handlers what
// they need to manage indices and publish writes. Without --cluster nothing here runs.
#pragma once

#include <memory>
#include <string>

#include "lookalike/engine.h"
#include "lookalike/status.h"
#include "server/handlers/rest_common.h"

namespace lookalike::cluster {
class ClusterState;
class EtcdClient;
class NodeMembership;
class ShardCopies;
class ShardLeader;
class ShardLog;
}  // namespace lookalike::cluster

namespace lookalike::cli {

/// What `serve --cluster` holds while it runs; destroying it leaves the cluster.
class ClusterNode {
 public:
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  /// `cluster_arg` is the --cluster value ("etcd=URL[,URL…]"), `nats` the --nats value,
  /// `http` the "host:port" this node serves its REST API on, `engine` the node's engine
  /// (holds the local shard copies; must outlive the node), `data_dir` its data folder.
  /// InvalidArgument for malformed values; Unavailable when etcd or NATS does not answer;
  /// AlreadyExists when a live node has the same name.
  static Result<std::unique_ptr<ClusterNode>> Join(const std::string& cluster_arg,
                                                   const std::string& nats,
                                                   const std::string& node_name,
                                                   const std::string& http, Engine* engine,
                                                   const std::string& data_dir);

  /// For RestServer::AttachCluster.
  server::ClusterServices* services() { return &services_; }

 private:
  ClusterNode() = default;
  // Destroyed in reverse order of use: the copies and the leader stop before the state they
  // read, the membership (revokes its lease) before the etcd client.
  std::unique_ptr<cluster::EtcdClient> etcd_;
  std::unique_ptr<cluster::ShardLog> log_;
  std::unique_ptr<cluster::NodeMembership> membership_;
  std::unique_ptr<cluster::ClusterState> state_;
  std::unique_ptr<cluster::ShardLeader> leader_;
  std::unique_ptr<cluster::ShardCopies> copies_;
  server::ClusterServices services_;
};

}  // namespace lookalike::cli
