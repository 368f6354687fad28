// PUT /{index}/_mapping and PUT /{index}/_settings of a cluster node (issue 9): the index
// definition in etcd is replaced with a compare-and-swap on its key, so concurrent updates on
// different nodes never lose one another; every node holding a copy then follows the new
// definition (cluster/shard_copies.h). See cluster_mode.h.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <functional>

#include "cluster/cluster_state.h"
#include "cluster/etcd_client.h"
#include "server/es/index_codec.h"
#include "server/handlers/cluster_mode.h"

namespace lookalike::server {
namespace {

// A compare-and-swap that lost to another update is tried again on the newer value.
constexpr int kCasAttempts = 5;
using MetadataChange = std::function<Status(cluster::IndexMetadata*)>;

// Gives the etcd revision that holds the change (0 when nothing changed).
Result<int64_t> UpdateIndexMetadata(RestContext& ctx, const std::string& name,
                                    const MetadataChange& change) {
  const std::string key = cluster::IndexKey(name);
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    LOOKALIKE_ASSIGN_OR_RETURN(std::optional<cluster::KeyValue> kv, ctx.cluster->etcd->Get(key));
    if (!kv) {
      return Status::NotFound("no such index [" + name + "]").WithKind(ErrorKind::kIndexNotFound);
    }
    LOOKALIKE_ASSIGN_OR_RETURN(cluster::IndexMetadata meta,
                               cluster::DecodeIndexMetadata(name, kv->value));
    LOOKALIKE_RETURN_IF_ERROR(change(&meta));
    std::string encoded = cluster::EncodeIndexMetadata(meta);
    if (encoded == kv->value) return int64_t{0};  // nothing changes
    LOOKALIKE_ASSIGN_OR_RETURN(cluster::CasResult cas,
                               ctx.cluster->etcd->CompareAndSwap(key, kv->mod_revision, encoded));
    if (cas.succeeded) return cas.revision;
  }
  return Status::Unavailable("index [" + name + "] kept changing; try the update again");
}

// Applies `change` to every index the request names (resolved first, as Elasticsearch does).
void UpdateEach(RestContext& ctx, const RestRequest& req, const MetadataChange& change,
                HttpResponse* resp) {
  if (Status st = CheckEtcdReachable(ctx); !st.ok()) return ReplyError(st, resp);
  auto resolved = ctx.cluster->state->Resolve(IndexParam(req));
  if (!resolved.ok()) return ReplyError(resolved.status(), resp);
  int64_t last_revision = 0;
  for (const cluster::IndexRoutes& routes : *resolved) {
    auto revision = UpdateIndexMetadata(ctx, routes.index, change);
    if (!revision.ok()) return ReplyError(revision.status(), resp);
    last_revision = std::max(last_revision, *revision);
  }
  Acknowledged ack;
  ack.acknowledged = last_revision == 0 || WaitForEveryNodeToSee(ctx, req, last_revision);
  Reply(es::RenderAcknowledged(ack), resp);
}

}  // namespace

void ClusterPutMapping(RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  auto resolved = ctx.cluster->state->Resolve(IndexParam(req));
  if (!resolved.ok()) return ReplyError(resolved.status(), resp);
  auto mapping = es::ParsePutMappingBody(req.body());
  if (!mapping.ok()) return ReplyError(mapping.status(), resp);
  UpdateEach(
      ctx, req,
      [&](cluster::IndexMetadata* meta) -> Status {
        LOOKALIKE_ASSIGN_OR_RETURN(
            meta->mappings_json,
            es::MergeStoredMapping(meta->settings_json, meta->mappings_json, *mapping));
        return Status::OK();
      },
      resp);
}

void ClusterPutSettings(RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  auto resolved = ctx.cluster->state->Resolve(IndexParam(req));
  if (!resolved.ok()) return ReplyError(resolved.status(), resp);
  auto update = es::ParseSettingsUpdateBody(req.body());
  if (!update.ok()) return ReplyError(update.status(), resp);
  UpdateEach(
      ctx, req,
      [&](cluster::IndexMetadata* meta) -> Status {
        // number_of_replicas lives in the metadata itself: the leader adds or drops copies.
        LOOKALIKE_ASSIGN_OR_RETURN(
            meta->settings_json,
            es::ApplyStoredSettingsUpdate(meta->settings_json, meta->number_of_shards,
                                          &meta->number_of_replicas, *update,
                                          meta->name + "/" + meta->uuid));
        return Status::OK();
      },
      resp);
}

}  // namespace lookalike::server
