// The cluster state a node keeps in memory (issue 9): every key under /lookalike/ in etcd
// (nodes, indices, shard assignments, applied sequences, the leader, the cluster uuid), loaded
// once and then kept current by a watch on the prefix. Readers take an immutable snapshot; a
// change replaces the snapshot as a whole, so a request never sees half an update.
//
// When etcd goes away the last snapshot stays (searches keep routing by it); the state reloads
// and watches again once etcd answers.
//
// Thread safety: snapshot(), Resolve() and WaitUntil() may be called from any thread. Listeners
// run on the state's own thread after each change and must not block for long.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_metadata.h"
#include "cluster/etcd_client.h"
#include "cluster/membership.h"
#include "cluster/shard_map.h"

namespace lookalike::cluster {

/// One shard: its assignment (as etcd holds it) and what each copy has applied.
struct ShardState {
  ShardAssignment assignment;
  int64_t mod_revision = 0;  // of the assignment key (compare-and-swap by the leader)
  /// Copies that have caught up with the stream at least once, by node: the last stream
  /// sequence each applied. A copy not listed is still being built.
  std::map<std::string, uint64_t> applied;
};

/// An immutable view of the cluster's metadata.
struct ClusterSnapshot {
  int64_t revision = 0;  // etcd revision this view includes
  std::string cluster_uuid;
  std::string leader;                            // "" = none elected
  std::map<std::string, NodeInfo> nodes;         // live nodes by name
  std::map<std::string, IndexMetadata> indices;  // by index name
  std::map<std::string, std::map<int, ShardState>> shards;  // by index uuid, then shard
  /// False from the moment the watch on etcd broke until etcd answers again: this is then the
  /// last known state (searches keep routing by it; writes and metadata changes are refused,
  /// and nothing waits for applied sequences that cannot arrive).
  bool etcd_reachable = true;

  /// The index with that uuid, or null.
  const IndexMetadata* FindByUuid(std::string_view uuid) const;
  /// The shard, or null when it has no assignment yet.
  const ShardState* FindShard(std::string_view uuid, int shard) const;
  /// Routes of `index`: per shard the started copies on live nodes, primary first.
  IndexRoutes Routes(const IndexMetadata& index) const;
};

class ClusterState : public ShardMapSource {
 public:
  /// Creates the cluster uuid if the cluster has none, loads the state and starts watching.
  /// Unavailable when etcd does not answer. `etcd` must outlive the state.
  static Result<std::unique_ptr<ClusterState>> Start(EtcdClient* etcd);
  ~ClusterState() override;
  ClusterState(const ClusterState&) = delete;
  ClusterState& operator=(const ClusterState&) = delete;

  /// Stops watching (joins the thread); idempotent. The last snapshot stays readable.
  void Stop();

  std::shared_ptr<const ClusterSnapshot> snapshot() const;

  /// ShardMapSource: the routes of the indices `expression` names (names, comma lists, `*`
  /// wildcards, "_all" / "" = all), in name order. IndexNotFound (index_not_found_exception)
  /// for a concrete name that does not exist.
  Result<std::vector<IndexRoutes>> Resolve(std::string_view expression) const override;

  /// `listener` runs after every change of the snapshot (on the state's thread).
  void AddListener(std::function<void()> listener);

  /// Waits until `predicate` holds for the snapshot (checked now and after every change) or
  /// `timeout` passes; returns whether it held.
  bool WaitUntil(const std::function<bool(const ClusterSnapshot&)>& predicate,
                 std::chrono::milliseconds timeout) const;

 private:
  explicit ClusterState(EtcdClient* etcd) : etcd_(etcd) {}
  Status Load();
  void WatchLoop();
  void Publish(std::shared_ptr<const ClusterSnapshot> next);

  EtcdClient* const etcd_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::shared_ptr<const ClusterSnapshot> snapshot_;    // guarded by mu_
  std::vector<std::function<void()>> listeners_;       // guarded by mu_
  bool stopping_ = false;                              // guarded by mu_
  bool watch_failed_ = false;                          // guarded by mu_
  std::thread thread_;
};

/// Applies one etcd key (put, or delete when `deleted`) to `state`. Keys outside the layout
/// and values that do not decode are ignored (and logged).
void ApplyKey(ClusterSnapshot* state, const KeyValue& kv, bool deleted);

/// `name` matches the index expression part `pattern` ("*" wildcards).
bool IndexPatternMatches(std::string_view pattern, std::string_view name);

}  // namespace lookalike::cluster
