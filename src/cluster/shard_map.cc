#include "cluster/shard_map.h"

namespace lookalike::cluster {

std::string ShardIndexName(const IndexRoutes& routes, int shard) {
  return routes.index + "~" + std::to_string(shard) + "~" + routes.uuid;
}

}  // namespace lookalike::cluster
