// The REST handlers of a cluster node (serve --cluster; issue 9): index management answered
// from the cluster metadata in etcd, and writes published to the shards' JetStream streams.
// The single-node handlers call these when RestContext::cluster is set; without --cluster
// nothing here runs.
//
// Writes: every op gets its _id here (the coordinator), is routed by ShardForRouting, and each
// shard's ops are published as one batch carrying the shard's primary term. A missing index is
// created on the first index/create op into it (1 shard, 1 replica, dynamic mappings). Every
// copy applies the stream in order from the same state, so every copy decides the same for
// each op (created or updated, _version, a _create of an existing id → 409, a document that
// does not fit the mapping → 400, an update of a missing document → 404, if_seq_no /
// if_primary_term → 409 on mismatch). The coordinator waits for JetStream's ack, then until
// some live copy of each written shard has applied its batch, and reports that copy's decisions
// (the primary's when it answers, GET /_internal/shards/{copy}/_write_results). `_seq_no` is
// the batch's stream sequence, `_primary_term` the shard's term.
//
// When no copy's decision can be had (no copy applied the batch within 30 s, or every copy that
// did has restarted since or is gone), the answer is the acknowledgement alone: the write is
// stored and will be applied, and the item reads as if it had succeeded ("created" for
// index/create, "updated", "deleted", _version 1); the real outcome is logged on the copies.
// With refresh=true|wait_for the answer also waits until every live copy applied the batch.
//
// Thread safety: as the other handlers (the cluster objects are thread-safe).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cluster/cluster_metadata.h"
#include "cluster/cluster_state.h"
#include "cluster/node_report.h"
#include "lookalike/index_definition.h"
#include "lookalike/write_ops.h"
#include "server/handlers/rest_common.h"

namespace lookalike::server {

/// How long an index change waits for every node to apply it (Elasticsearch's default `timeout`
/// of index APIs) before answering `acknowledged: false`.
inline constexpr std::chrono::seconds kIndexChangeAckTimeout{30};

/// OK while this node reaches etcd; else 503 cluster_block_exception (ErrorKind::kNoMaster),
/// Elasticsearch's answer to a write when the cluster has no master. Writes and metadata
/// changes check it first, so they fail at once instead of waiting for etcd or for applied
/// sequences that cannot be published.
Status CheckEtcdReachable(const RestContext& ctx);

/// The stored definition of an index as the engine's type (parsed by the Elasticsearch codec).
Result<IndexDefinition> ParseStoredDefinition(const cluster::IndexMetadata& meta);

void ClusterCreateIndex(RestContext& ctx, const RestRequest& req, HttpResponse* resp);
/// Creates `name` for the first write into it (Elasticsearch's action.auto_create_index:
/// true): the defaults (1 shard, 1 replica, dynamic mappings), without waiting for its copies
/// (they replay the stream from its start). Gives the index's metadata, also when another
/// request created it first; invalid_index_name_exception for a name that cannot be an index.
Result<cluster::IndexMetadata> ClusterAutoCreateIndex(RestContext& ctx, std::string_view name);
void ClusterDeleteIndex(RestContext& ctx, const RestRequest& req, HttpResponse* resp);
void ClusterIndexExists(RestContext& ctx, const RestRequest& req, HttpResponse* resp);
/// GET /{index}, GET _mapping, GET _settings from the metadata.
enum class IndexView { kIndex, kMapping, kSettings };
void ClusterDescribeIndices(RestContext& ctx, const RestRequest& req, IndexView view,
                            HttpResponse* resp);

/// PUT /{index}/_mapping and PUT [/{index}]/_settings: the definition in etcd is updated
/// (validated as on one node; compare-and-swap) and every copy follows it. A changed
/// index.number_of_replicas makes the leader add or drop copies. `acknowledged: true` once every
/// live node's view shows the change (WaitForEveryNodeToSee); the copies apply it shortly after
/// (not ordered with the stream).
void ClusterPutMapping(RestContext& ctx, const RestRequest& req, HttpResponse* resp);
void ClusterPutSettings(RestContext& ctx, const RestRequest& req, HttpResponse* resp);

/// GET _cluster/health from the shard map: a copy is active once it is on a live node and has
/// caught up with its stream once; red when a shard has no active copy, yellow when one has
/// fewer than number_of_replicas + 1, else green.
ClusterHealthReport ClusterHealthOf(const RestContext& ctx);

// ---- Cluster-wide administration and _cat views (cluster_admin.cc) ------------------------

/// A copy as _cat/shards shows it: STARTED once it caught up with its stream on a live node,
/// INITIALIZING while it replays it, UNASSIGNED when no live node holds it.
enum class CopyState { kStarted, kInitializing, kUnassigned };

struct CopyLayout {
  std::string node;  // "" when unassigned
  std::string http;  // the node's "host:port"
  bool primary = false;
  CopyState state = CopyState::kUnassigned;
  uint64_t applied = 0;  // the stream sequence the copy has applied (started copies)
  /// Its counters from its node's report; null when not asked, or the node did not answer.
  const cluster::CopyStatistics* stats = nullptr;
};

struct ShardLayout {
  int shard = 0;
  std::vector<CopyLayout> copies;  // primary first; number_of_replicas + 1 rows at least
};

struct IndexLayout {
  cluster::IndexMetadata meta;
  std::vector<ShardLayout> shards;
  std::string health;  // red: a shard without a started copy; yellow: one with fewer than R+1
};

/// Every index an expression names, with the copies of each shard (from the cluster state) and,
/// when asked, the counters each live node reports (copies point into `reports`, so the
/// layout is filled in place and not copied).
struct ClusterLayout {
  std::shared_ptr<const cluster::ClusterSnapshot> snap;
  std::map<std::string, Result<cluster::NodeReport>> reports;
  std::vector<IndexLayout> indices;
};
/// index_not_found_exception for a concrete name that does not exist.
Status BuildClusterLayout(const RestContext& ctx, const RestRequest& req,
                          std::string_view expression, bool with_reports, ClusterLayout* out);

/// POST _refresh, /{index}/_refresh: waits (≤ 10 s) until every started copy of each shard has
/// applied its stream's last sequence (which makes every write acknowledged before the refresh
/// searchable); `_shards` counts R+1 copies per shard, the copies that did, and those that did
/// not in time as failed.
void ClusterRefresh(RestContext& ctx, const RestRequest& req, HttpResponse* resp);
/// GET _stats, /{index}/_stats: primaries (the primary copies) and total (every started copy).
void ClusterStats(RestContext& ctx, const RestRequest& req, HttpResponse* resp);
void ClusterCatIndices(RestContext& ctx, const RestRequest& req, HttpResponse* resp);
/// GET _cat/shards[/{index}]: index shard prirep state docs store ip node, one row per copy.
void ClusterCatShards(RestContext& ctx, const RestRequest& req, HttpResponse* resp);
/// GET _cat/nodes: every live node (etcd membership); the leader is the master ("*").
void ClusterCatNodes(const RestContext& ctx, const RestRequest& req, HttpResponse* resp);
void ClusterCatHealth(const RestContext& ctx, const RestRequest& req, HttpResponse* resp);
/// GET _cat/count[/{index}] through the coordinator.
void ClusterCatCount(const RestContext& ctx, const RestRequest& req, HttpResponse* resp);
/// Waits (≤ `timeout`) until the view of every live node includes etcd revision `revision`
/// (this node's snapshot, the others' node reports); false when some node did not get there in
/// time. Elasticsearch answers an index change `acknowledged: true` only once every node has
/// applied it, so a GET on any node right after the answer shows the change.
bool WaitForEveryNodeToSee(const RestContext& ctx, const RestRequest& req, int64_t revision,
                           std::chrono::milliseconds timeout = kIndexChangeAckTimeout);
/// GET /_internal/node/_report (cluster/node_report.h): this node's copies and load.
void RegisterNodeReportHandler(Router& router, RestContext& ctx);

/// Publishes `ops` (those whose `failed` entry is OK) and returns one outcome per op: what a
/// copy of each shard decided, or the stream's acknowledgement when that cannot be had.
/// `authorization` (the caller's header, "" = none) is forwarded to the copies asked.
std::vector<WriteOutcome> ClusterWrite(RestContext& ctx, std::vector<WriteOp> ops,
                                       std::vector<Status> failed, RefreshPolicy refresh,
                                       const std::string& authorization);
/// PUT/POST _doc, _create, _update, DELETE _doc of one document (`req`: its credentials).
void ClusterWriteDocument(RestContext& ctx, const RestRequest& req, WriteOp op,
                          RefreshPolicy refresh, HttpResponse* resp);
/// POST _bulk.
void ClusterBulk(RestContext& ctx, const RestRequest& req, RefreshPolicy refresh,
                 HttpResponse* resp);

}  // namespace lookalike::server
