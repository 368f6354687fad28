// Which nodes hold the copies of each shard (issue 9): a pure function from the live nodes and
// the current assignments to the assignments the leader writes. The log (one JetStream stream
// per shard) is the data; a copy is only a materialisation of it, so any node can become a
// copy of any shard by replaying the stream, and a shard with no live copy can be given a new
// one without losing an acknowledged write.
//
// Rules, per shard, in (index uuid, shard) order so every leader computes the same answer:
// - copies on nodes that are not live are dropped;
// - a dead primary is replaced by the first live replica (or, with none, a new copy) and the
//   primary term goes up by one;
// - copies are added until min(number_of_replicas + 1, live nodes), each on the live node that
//   holds the fewest copies so far (ties by name), never two on one node;
// - copies on live nodes are never moved (no rebalancing: a new copy must replay the log).
//
// Thread safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cluster/cluster_metadata.h"

namespace lookalike::cluster {

/// One shard as the allocator sees it.
struct ShardSlot {
  std::string index_uuid;
  int shard = 0;
  int number_of_replicas = 0;
  std::optional<ShardAssignment> current;  // nullopt: never assigned
};

/// One assignment to write.
struct AssignmentChange {
  std::string index_uuid;
  int shard = 0;
  ShardAssignment assignment;
};

/// The changed assignments for `slots` given the `live` nodes (any order); shards whose
/// assignment stays as it is are not listed. No live node: nothing changes.
std::vector<AssignmentChange> AllocateShards(const std::vector<ShardSlot>& slots,
                                             const std::vector<std::string>& live);

}  // namespace lookalike::cluster
