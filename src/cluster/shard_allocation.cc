// Shard allocation; see shard_allocation.h.
#include "cluster/shard_allocation.h"

#include <algorithm>
#include <set>

namespace lookalike::cluster {
namespace {

// The live node with the fewest copies that does not hold `assignment` yet, or "".
std::string LeastLoaded(const std::map<std::string, int>& load, const ShardAssignment& assignment) {
  std::string best;
  int best_load = 0;
  for (const auto& [node, copies] : load) {  // name order breaks ties
    if (assignment.Holds(node)) continue;
    if (best.empty() || copies < best_load) {
      best = node;
      best_load = copies;
    }
  }
  return best;
}

}  // namespace

std::vector<AssignmentChange> AllocateShards(const std::vector<ShardSlot>& slots,
                                             const std::vector<std::string>& live) {
  std::vector<AssignmentChange> changes;
  if (live.empty()) return changes;
  std::set<std::string> alive(live.begin(), live.end());
  std::vector<const ShardSlot*> ordered;
  for (const ShardSlot& slot : slots) ordered.push_back(&slot);
  std::sort(ordered.begin(), ordered.end(), [](const ShardSlot* a, const ShardSlot* b) {
    return std::tie(a->index_uuid, a->shard) < std::tie(b->index_uuid, b->shard);
  });

  // First the copies that stay (on live nodes), so the load counts them before any is added.
  std::map<std::string, int> load;
  for (const std::string& node : alive) load[node] = 0;
  std::vector<ShardAssignment> kept(ordered.size());
  for (size_t i = 0; i < ordered.size(); ++i) {
    const ShardSlot& slot = *ordered[i];
    ShardAssignment& next = kept[i];
    if (slot.current) {
      next.primary_term = slot.current->primary_term;
      for (const std::string& node : slot.current->Copies()) {
        if (!alive.count(node)) continue;
        if (next.primary.empty()) {
          next.primary = node;
        } else {
          next.replicas.push_back(node);
        }
        ++load[node];
      }
      // Any change of primary (promotion or a new copy) is a new term.
      if (next.primary != slot.current->primary) ++next.primary_term;
    }
  }
  for (size_t i = 0; i < ordered.size(); ++i) {
    const ShardSlot& slot = *ordered[i];
    ShardAssignment& next = kept[i];
    size_t wanted = std::min<size_t>(static_cast<size_t>(slot.number_of_replicas) + 1, alive.size());
    while (next.Copies().size() < wanted) {
      std::string node = LeastLoaded(load, next);
      if (node.empty()) break;
      if (next.primary.empty()) {
        next.primary = node;
        if (slot.current && slot.current->primary.empty()) ++next.primary_term;
      } else {
        next.replicas.push_back(node);
      }
      ++load[node];
    }
    if (!slot.current || !(*slot.current == next)) {
      changes.push_back({slot.index_uuid, slot.shard, next});
    }
  }
  return changes;
}

}  // namespace lookalike::cluster
