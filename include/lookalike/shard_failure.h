// One shard of a cluster search or count that gave no result: no copy answered (issue 9). The
// coordinator (src/cluster/scatter.h) reports them beside the merged result; the response shows
// them as "_shards.failures" (src/server/es/cluster_render.h), in Elasticsearch's shape
//   {"shard":2,"index":"docs","node":"n3","reason":{"type":T,"reason":R}}.
#pragma once

#include <cstdint>
#include <string>

#include "lookalike/status.h"

namespace lookalike {

struct ShardFailure {
  int64_t shard = 0;
  std::string index;  // the user's index name
  std::string node;   // the last copy's node that was tried; "" when the shard had no copy
  /// The last copy's error. `type` is the Elasticsearch error type the server's one error
  /// table gives (code, kind); the coordinator leaves it empty and the server fills it.
  StatusCode code = StatusCode::kUnavailable;
  ErrorKind kind = ErrorKind::kNone;
  std::string type;
  std::string reason;
  bool operator==(const ShardFailure&) const = default;
};

}  // namespace lookalike
