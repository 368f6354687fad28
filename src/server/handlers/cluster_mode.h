// The REST handlers of a cluster node (serve --cluster; issue 9): index management answered
// from the cluster metadata in etcd, and writes published to the shards' JetStream streams.
// The single-node handlers call these when RestContext::cluster is set; without --cluster
// nothing here runs.
//
// Writes: every op gets its _id here (the coordinator), is routed by ShardForRouting, and each
// shard's ops are published as one batch; the answer waits for JetStream's ack (and, with
// refresh=true|wait_for, until every live copy of the shard applied the batch). `_seq_no` is
// the batch's stream sequence, `_primary_term` the shard's term. Item outcomes that depend on
// the stored document (created vs updated, a create of an existing id, a document that does
// not fit the mapping) are decided by each copy when it applies the batch and are not
// reported back: the answer says "created" for index/create, "updated" for update and
// "deleted" for delete.
//
// Thread safety: as the other handlers (the cluster objects are thread-safe).
#pragma once

#include <string>
#include <vector>

#include "cluster/cluster_metadata.h"
#include "lookalike/index_definition.h"
#include "lookalike/write_ops.h"
#include "server/handlers/rest_common.h"

namespace lookalike::server {

/// The stored definition of an index as the engine's type (parsed by the Elasticsearch codec).
Result<IndexDefinition> ParseStoredDefinition(const cluster::IndexMetadata& meta);

void ClusterCreateIndex(RestContext& ctx, const RestRequest& req, HttpResponse* resp);
void ClusterDeleteIndex(RestContext& ctx, const RestRequest& req, HttpResponse* resp);
void ClusterIndexExists(RestContext& ctx, const RestRequest& req, HttpResponse* resp);
/// GET /{index}, GET _mapping, GET _settings from the metadata.
enum class IndexView { kIndex, kMapping, kSettings };
void ClusterDescribeIndices(RestContext& ctx, const RestRequest& req, IndexView view,
                            HttpResponse* resp);

/// GET _cluster/health from the shard map: a copy is active once it is on a live node and has
/// caught up with its stream once; red when a shard has no active copy, yellow when one has
/// fewer than number_of_replicas + 1, else green.
ClusterHealthReport ClusterHealthOf(RestContext& ctx);

/// Publishes `ops` (those whose `failed` entry is OK) and returns one outcome per op.
std::vector<WriteOutcome> ClusterWrite(RestContext& ctx, std::vector<WriteOp> ops,
                                       std::vector<Status> failed, RefreshPolicy refresh);
/// PUT/POST _doc, _create, _update, DELETE _doc of one document.
void ClusterWriteDocument(RestContext& ctx, WriteOp op, RefreshPolicy refresh, HttpResponse* resp);
/// POST _bulk.
void ClusterBulk(RestContext& ctx, const RestRequest& req, RefreshPolicy refresh,
                 HttpResponse* resp);

}  // namespace lookalike::server
