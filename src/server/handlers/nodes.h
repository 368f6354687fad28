// Node-level endpoints in Elasticsearch's shapes, for the parts a node without a JVM has:
//   GET /_nodes[/{node_id}[/{metric}]]             node info: version, roles, os, process,
//                                                  thread_pool, http (clients sniff
//                                                  http.publish_address from it)
//   GET /_nodes[/{node_id}]/stats[/{metric}]       indices, os, process, thread_pool, fs
//   GET /_cat/health, /_cat/count[/{index}], /_cat/nodes
// One node until scale-out lands: node_id selectors "_all", "_local", "_master", its id or its
// name select it, anything else selects nothing ({"_nodes":{"total":0,…},"nodes":{}}).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/handlers/rest_common.h"
#include "server/http/worker_pool.h"
#include "server/router.h"

namespace lookalike::server {

struct NodeContext {
  const RestContext* rest = nullptr;  // engine, node and cluster names
  std::string host;                   // the bound address ("127.0.0.1", "0.0.0.0")
  std::function<int()> port;          // the bound port (known after Listen)
  std::string data_dir;               // for fs stats; "" = not reported
  size_t max_content_length = 0;
  std::function<std::vector<WorkerPoolStats>()> lanes;
};

/// A stable 22-character id for the node (Elasticsearch node ids look like this), derived from
/// the cluster and node names so it survives restarts without being stored.
std::string NodeId(const RestContext& ctx);
/// The same for any node of the cluster by its name (_cat/nodes lists every live node).
std::string NodeIdFor(std::string_view cluster_uuid, std::string_view node_name,
                      std::string_view cluster_name);

void RegisterNodeHandlers(Router& router, std::shared_ptr<const NodeContext> node);

}  // namespace lookalike::server
