// What a coordinating node knows about where the shards of an index live (issue 9): the
// contract between the cluster state (etcd metadata, shard assignment: it fills these) and the
// coordinator's scatter/gather and write routing (it reads them).
//
// A shard copy on a node is an ordinary index of that node's local engine, named by
// ShardIndexName; the engine does not know it is a shard. Hits coming back from a copy carry the
// local name; the coordinator shows the user's index name.
//
// Values are plain and copyable: a coordinator takes a snapshot of the map per request, so a map
// that changes underneath (a node leaves) never changes a request in flight.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"

namespace lookalike::cluster {

/// One copy of a shard: the node that holds it and where that node's REST API listens.
struct ShardCopy {
  std::string node;  // node name (NodeInfo::name)
  std::string http;  // "host:port" (NodeInfo::http)
  bool primary = false;
};

/// The copies of one shard that can serve reads: started copies on live nodes, primary first.
/// Empty when no copy is available (the shard is "red").
struct ShardRoute {
  int shard = 0;
  int64_t primary_term = 1;
  std::vector<ShardCopy> copies;
};

/// One index of the cluster as the coordinator routes to it.
struct IndexRoutes {
  std::string index;  // the user's index name
  std::string uuid;   // the cluster-wide index uuid: lowercase [a-z0-9_-] (names streams and copies)
  int number_of_shards = 1;
  int number_of_replicas = 0;
  std::vector<ShardRoute> shards;  // one per shard, shards[i].shard == i
};

/// The name of the local engine index holding a copy of shard `shard` of `routes`. Stable: it
/// is part of every node's data directory. Deterministic from (index, uuid, shard) so a node
/// can tell a stale copy of a deleted-and-recreated index from the current one:
/// "<index>~<shard>~<uuid>" ('~' is refused in user index names in cluster mode).
std::string ShardIndexName(const IndexRoutes& routes, int shard);

/// True for a name ShardIndexName makes (it holds '~', which user index names cannot): a local
/// copy that the node answers from its own engine, never through the coordinator.
bool IsShardCopyName(std::string_view index);

/// Where a coordinator gets the routes from: the cluster state (etcd, watched) implements it;
/// tests implement it with a fixed map.
class ShardMapSource {
 public:
  virtual ~ShardMapSource() = default;
  /// The routes of the indices an index expression names (a name, a comma-separated list,
  /// wildcards, _all), in name order. IndexNotFound for a concrete name that does not exist.
  virtual Result<std::vector<IndexRoutes>> Resolve(std::string_view expression) const = 0;
};

}  // namespace lookalike::cluster
