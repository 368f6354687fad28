// serve --cluster; see serve_cluster.h.
#include "cli/serve_cluster.h"

#include <spdlog/spdlog.h>

#include "cluster/cluster_state.h"
#include "cluster/etcd_client.h"
#include "cluster/membership.h"
#include "cluster/shard_copies.h"
#include "cluster/shard_leader.h"
#include "cluster/shard_log.h"
#include "server/handlers/cluster_mode.h"

namespace lookalike::cli {

// How long a node that stops renewing stays registered: short enough that a crash is noticed
// within seconds, long enough to survive a GC-like pause or a slow etcd fsync.
constexpr std::chrono::seconds kNodeLeaseTtl{10};

ClusterNode::~ClusterNode() {
  copies_.reset();
  leader_.reset();
  if (state_) state_->Stop();
  membership_.reset();
  state_.reset();
  log_.reset();
  etcd_.reset();
}

Result<std::unique_ptr<ClusterNode>> ClusterNode::Join(const std::string& cluster_arg,
                                                       const std::string& nats,
                                                       const std::string& node_name,
                                                       const std::string& http, Engine* engine,
                                                       const std::string& data_dir) {
  constexpr std::string_view kEtcd = "etcd=";
  if (cluster_arg.rfind(kEtcd, 0) != 0 || cluster_arg.size() == kEtcd.size()) {
    return Status::InvalidArgument("--cluster must be etcd=URL[,URL…] (got '" + cluster_arg + "')");
  }
  if (nats.empty()) return Status::InvalidArgument("--cluster needs --nats nats://HOST:PORT[,…]");
  std::unique_ptr<ClusterNode> node(new ClusterNode());
  LOOKALIKE_ASSIGN_OR_RETURN(node->etcd_,
                             cluster::EtcdClient::Create(cluster_arg.substr(kEtcd.size())));
  LOOKALIKE_ASSIGN_OR_RETURN(node->log_, cluster::ShardLog::Connect(nats));
  LOOKALIKE_ASSIGN_OR_RETURN(
      node->membership_, cluster::NodeMembership::Join(node->etcd_.get(), {node_name, http},
                                                       kNodeLeaseTtl, data_dir + "/cluster/lease"));
  LOOKALIKE_ASSIGN_OR_RETURN(node->state_, cluster::ClusterState::Start(node->etcd_.get()));
  cluster::NodeMembership* membership = node->membership_.get();
  auto lease = [membership] { return membership->lease_id(); };
  node->leader_ = std::make_unique<cluster::ShardLeader>(node->etcd_.get(), node->state_.get(),
                                                         node_name, lease);
  cluster::ShardCopiesConfig copies{node_name, data_dir + "/cluster/applied", lease,
                                    server::ParseStoredDefinition};
  node->copies_ = std::make_unique<cluster::ShardCopies>(
      engine, node->log_.get(), node->etcd_.get(), node->state_.get(), std::move(copies));
  node->services_ = {node->state_.get(), node->log_.get(), node->etcd_.get(), node_name,
                     node->state_->snapshot()->cluster_uuid, node->copies_.get()};
  spdlog::info(
      "cluster: node {} joined cluster {} (etcd {}, lease TTL {}s); NATS JetStream at {} "
      "(stream replicas {})",
      node_name, node->state_->snapshot()->cluster_uuid, cluster_arg.substr(kEtcd.size()),
      kNodeLeaseTtl.count(), nats, node->log_->replicas());
  return node;
}

}  // namespace lookalike::cli
