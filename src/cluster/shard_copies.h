// The local shard copies of a node (issue 9): whenever the cluster state changes (and once a
// second), the node makes its engine match the shard map: a copy assigned to it gets a local
// engine index (ShardIndexName, created from the index's definition with one shard and no
// replicas: the copy is one shard) and a ShardApplier; a local copy no longer assigned to it
// (reassigned while the node was away, or its index deleted) is stopped and deleted with its
// applied-sequence record. A changed index definition (PUT _mapping / _settings through etcd)
// is applied to every running copy: the merged mapping, and the dynamic settings that changed.
// It is not ordered with the stream: a write that needs a new field may be applied before the
// copy sees the mapping (dynamic mapping then adds it as usual).
//
// Thread safety: runs on its own thread; Stop from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/cluster_state.h"
#include "cluster/shard_applier.h"
#include "lookalike/engine.h"
#include "lookalike/index_definition.h"

namespace lookalike::cluster {

/// Parses the stored definition of an index (the codec lives above this layer).
using DefinitionParser = std::function<Result<IndexDefinition>(const IndexMetadata&)>;

struct ShardCopiesConfig {
  std::string node;
  std::string applied_dir;  // one file per local copy: its applied stream sequence
  std::function<int64_t()> lease;
  DefinitionParser parse_definition;
};

class ShardCopies {
 public:
  /// Everything passed must outlive the object.
  ShardCopies(Engine* engine, ShardLog* log, EtcdClient* etcd, ClusterState* state,
              ShardCopiesConfig config);
  ~ShardCopies();
  ShardCopies(const ShardCopies&) = delete;
  ShardCopies& operator=(const ShardCopies&) = delete;

  /// Stops every applier (local copies stay on disk); idempotent.
  void Stop();

  /// Sequences applied by the running copies, by local index name (for stats and tests).
  std::map<std::string, uint64_t> Applied() const;

  /// What the local copy `local` decided for each op of the batch at stream `sequence`
  /// (ShardApplier::WriteResults). NotFound when this node runs no such copy.
  Result<std::vector<WriteOutcome>> WriteResults(const std::string& local,
                                                 uint64_t sequence) const;

 private:
  void Loop();
  void Reconcile();
  // Creates the local index of a copy if it does not exist. False (logged) on failure.
  bool EnsureLocalIndex(const IndexMetadata& meta, const std::string& local);
  void DropLocalCopy(const std::string& local);
  // Brings a running copy's mapping and dynamic settings up to the index metadata after a
  // PUT _mapping / _settings (a no-op when the definition did not change since last time).
  void FollowDefinition(const IndexMetadata& meta, const std::string& local);

  Engine* const engine_;
  ShardLog* const log_;
  EtcdClient* const etcd_;
  ClusterState* const state_;
  const ShardCopiesConfig config_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  bool changed_ = false;   // guarded by mu_
  // Running copies by local index name; touched by the loop thread, read under mu_.
  std::map<std::string, std::unique_ptr<ShardApplier>> appliers_;
  // The definition each local copy was last given: the metadata's settings and mappings JSON,
  // and the settings parsed from them (to tell which ones an update removed). Loop thread only.
  struct AppliedDefinition {
    std::string settings_json;
    std::string mappings_json;
    SettingsMap settings;
  };
  std::map<std::string, AppliedDefinition> definitions_;
  std::thread thread_;
};

}  // namespace lookalike::cluster
