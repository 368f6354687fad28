// A fixed shard map read from a JSON file: the ShardMapSource of tests and benchmarks that run
// the coordinator without etcd (serve --static-shards FILE, documented as for tests). The
// cluster state in etcd is the real source.
//
//   {"indices": [{"index": "docs", "uuid": "u1", "number_of_shards": 2,
//                 "number_of_replicas": 0,
//                 "shards": [{"shard": 0, "primary_term": 1,
//                             "copies": [{"node": "a", "http": "127.0.0.1:9301",
//                                         "primary": true}]},
//                            {"shard": 1, "copies": []}]}]}
//
// Thread safety: immutable after Load/FromJson; Resolve may run concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/shard_map.h"

namespace lookalike::cluster {

class StaticShardMap : public ShardMapSource {
 public:
  /// InvalidArgument for JSON that is not the shape above (shards must be numbered 0..S-1 in
  /// order, S = number_of_shards); IOError when the file cannot be read.
  static Result<std::unique_ptr<StaticShardMap>> Load(const std::string& path);
  static Result<std::unique_ptr<StaticShardMap>> FromJson(std::string_view json);
  explicit StaticShardMap(std::vector<IndexRoutes> indices);

  /// A comma-separated list of names and '*' patterns; "", "_all" and "*" name every index.
  /// index_not_found_exception for a concrete name that is not in the map.
  Result<std::vector<IndexRoutes>> Resolve(std::string_view expression) const override;

 private:
  std::vector<IndexRoutes> indices_;  // sorted by name
};

}  // namespace lookalike::cluster
