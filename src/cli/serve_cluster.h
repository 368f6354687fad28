// `serve --cluster etcd=URL[,URL…] --nats nats://…[,…] --node-name N`: the node joins a cluster
// (issue 9). This version registers the node in etcd under a kept-alive lease and checks that
// NATS JetStream answers; indices, writes and searches are still the node's own (the cluster
// write and read paths come next). Without --cluster nothing here runs.
#pragma once

#include <memory>
#include <string>

#include "lookalike/status.h"

namespace lookalike::cluster {
class EtcdClient;
class NodeMembership;
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
  /// `http` the "host:port" this node serves its REST API on. InvalidArgument for malformed
  /// values; Unavailable when etcd or NATS does not answer; AlreadyExists when a live node has
  /// the same name.
  static Result<std::unique_ptr<ClusterNode>> Join(const std::string& cluster_arg,
                                                   const std::string& nats,
                                                   const std::string& node_name,
                                                   const std::string& http);

 private:
  ClusterNode() = default;
  // Destroyed in reverse order: membership (revokes its lease) before the etcd client.
  std::unique_ptr<cluster::EtcdClient> etcd_;
  std::unique_ptr<cluster::ShardLog> log_;
  std::unique_ptr<cluster::NodeMembership> membership_;
};

}  // namespace lookalike::cli
