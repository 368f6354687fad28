#include "cluster/shard_map.h"

namespace lookalike::cluster {

std::string ShardIndexName(const IndexRoutes& routes, int shard) {
  return routes.index + "~" + std::to_string(shard) + "~" + routes.uuid;
}

bool IsShardCopyName(std::string_view index) { return index.find('~') != std::string_view::npos; }

}  // namespace lookalike::cluster
