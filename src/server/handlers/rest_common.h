// Shared pieces of the REST handlers: the context they run in, and helpers that turn engine
// results and URL parameters into responses. Handlers are registered per group (cluster,
// indices, documents, bulk, search); each group lives in its own file.
//
// Thread safety: handlers run concurrently on worker threads; RestContext members are either
// immutable after start-up or internally synchronised (Engine, ClusterSettings).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/scatter.h"
#include "lookalike/engine.h"
#include "server/handlers/scroll.h"
#include "server/es/search_pipeline.h"
#include "server/http/http_message.h"
#include "server/router.h"

namespace lookalike::snapshot {
class RepositoryRegistry;
}  // namespace lookalike::snapshot
namespace lookalike::cluster {
class ClusterState;
class EtcdClient;
class ShardLog;
class ShardCopies;
}  // namespace lookalike::cluster

namespace lookalike::server {

class ImageSearchRoute;
class SearchPipelineStore;

/// Cluster-level settings from PUT /_cluster/settings (flat keys). They are accepted for client
/// compatibility; only the disk watermarks (kDiskWatermarkKeys) change engine behaviour, through
/// the `apply` callback of Update. "persistent" ones survive restarts when
/// a file is given (written whole to a temporary name, fsynced and renamed); "transient" ones
/// live until the process ends, as in Elasticsearch.
class ClusterSettings {
 public:
  /// Loads `path` if it exists and persists future updates there. A damaged file is reported
  /// (Corruption) and left as it is.
  Status Open(std::string path);
  /// Effective value of a flat key as a string (transient wins over persistent, as in
  /// Elasticsearch; JSON strings unquoted), "" when unset.
  using Lookup = std::function<std::string(std::string_view key)>;
  std::string Get(std::string_view key) const;
  /// Applies {"persistent":{...},"transient":{...}}; a null value removes a key. Returns the
  /// acknowledgement body. `apply` (optional) sees the settings as they would be and may refuse
  /// them (its error is returned and nothing changes): first the persistent ones alone (what a
  /// restart will load), then with the transient ones over them; when it refuses the second
  /// after accepting the first, it is called once more with the settings as they were.
  Result<std::string> Update(std::string_view body_json,
                             const std::function<Status(const Lookup&)>& apply = {});
  /// {"persistent":{...},"transient":{...}} with flat keys.
  std::string ToJson() const;

 private:
  Status Save(const std::map<std::string, std::string>& persistent) const;  // needs mu_

  mutable std::mutex mu_;
  std::string path_;                               // "" = nothing persisted
  std::map<std::string, std::string> persistent_;  // flat key → JSON value, guarded by mu_
  std::map<std::string, std::string> transient_;   // guarded by mu_
};

/// Elasticsearch's disk watermark settings, read from _cluster/settings.
inline constexpr std::string_view kDiskWatermarkLow =
    "cluster.routing.allocation.disk.watermark.low";
inline constexpr std::string_view kDiskWatermarkHigh =
    "cluster.routing.allocation.disk.watermark.high";
inline constexpr std::string_view kDiskFloodStage =
    "cluster.routing.allocation.disk.watermark.flood_stage";
/// Hands the three watermarks (unset: the serve defaults) to the engine; its error (400
/// illegal_argument_exception for a value it cannot parse or an inverted order) otherwise.
Status ApplyDiskWatermarks(Engine& engine, const ClusterSettings::Lookup& get);

/// What a cluster node's handlers use (serve --cluster); owned by the caller of RestServer.
struct ClusterServices {
  cluster::ClusterState* state = nullptr;
  cluster::ShardLog* log = nullptr;
  cluster::EtcdClient* etcd = nullptr;
  std::string node_name;
  std::string cluster_uuid;  // GET / reports it
  /// This node's shard copies: their per-item write results (_write_results); null in tests
  /// that run no copies.
  cluster::ShardCopies* copies = nullptr;
};

struct RestContext {
  Engine* engine = nullptr;
  std::string node_name = "lookalike";
  std::string cluster_name = "lookalike";
  std::string cluster_uuid;
  ClusterSettings cluster_settings;
  ScrollStore scrolls;
  snapshot::RepositoryRegistry* repositories = nullptr;  // _snapshot; null = not available
  SearchPipelineStore* search_pipelines = nullptr;  // _search/pipeline; null = not available
  ClusterServices* cluster = nullptr;  // null: a single node (no --cluster)
  /// Cluster mode: searches, counts and gets go to the shard copies; null = single node.
  cluster::Coordinator* coordinator = nullptr;
};

void RegisterClusterHandlers(Router& router, RestContext& ctx);
void RegisterIndexHandlers(Router& router, RestContext& ctx);
void RegisterDocumentHandlers(Router& router, RestContext& ctx);
void RegisterBulkHandlers(Router& router, RestContext& ctx);
void RegisterSearchHandlers(Router& router, RestContext& ctx);
void RegisterScrollHandlers(Router& router, RestContext& ctx);
/// POST /_internal/shards/{index}/_search|_count|_get: a shard copy answering a coordinator.
void RegisterShardHandlers(Router& router, RestContext& ctx);
void RegisterNearDuplicateHandlers(Router& router, RestContext& ctx);
void RegisterSnapshotHandlers(Router& router, RestContext& ctx);
/// _search/pipeline (handlers/search_pipelines.cc); needs ctx.search_pipelines.
void RegisterSearchPipelineHandlers(Router& router, RestContext& ctx);
/// OpenSearch's index setting naming the pipeline of searches without ?search_pipeline.
inline constexpr std::string_view kDefaultSearchPipeline = "index.search.default_pipeline";
/// The stored pipeline of a search of `index`: ?search_pipeline's `named` (400 "not defined"
/// when missing; 400 in cluster mode), else (named null) the default pipeline of `index` when
/// it is exactly one index. nullopt: none ("_none", no default).
Result<std::optional<es::SearchPipeline>> ResolveSearchPipeline(const RestContext& ctx,
                                                               std::string_view index,
                                                               const std::string* named);
/// The first page of a scroll (search with ?scroll=keep_alive), "_scroll_id" included.
Result<std::string> StartScroll(RestContext& ctx, const RestRequest& req,
                                std::string_view keep_alive);

/// A search may read other indices than its targets (knn lookups of example documents): the
/// caller must be allowed to read those too. OK when security is off.
Status AuthorizeLookups(const RestRequest& req, const SearchRequest& request);

// ---- Cluster mode ---------------------------------------------------------------------------

/// What the coordinator forwards for `req`: the caller's Authorization header and
/// ?allow_partial_search_results (default true; illegal_argument_exception for a value that is
/// not a boolean).
Result<cluster::ScatterCall> ScatterCallOf(const RestRequest& req);
/// True when a request on `index` goes through the coordinator: cluster mode (or a static
/// shard map) and Coordinator::Coordinates(index).
bool Coordinated(const RestContext& ctx, std::string_view index);
/// POST _search/image of an index the coordinator serves (server/image/image_handlers.h):
/// through ctx.coordinator, decided per request (a cluster may be attached after start-up).
std::unique_ptr<ImageSearchRoute> MakeImageSearchRoute(RestContext& ctx);
/// Fills each failure's Elasticsearch `type` from the one error table.
void SetFailureTypes(std::vector<ShardFailure>* failures);
/// GET of one document: from the local engine, or in cluster mode from the shard that
/// `routing` (default: the id) routes to.
Result<StoredDocument> GetDocumentFor(RestContext& ctx, const RestRequest& req,
                                      std::string_view index, std::string_view id,
                                      const SourceFilter& source, const std::string* routing);

// ---- Replies ------------------------------------------------------------------------------

/// 200 with the body, or the mapped error.
void Reply(const Result<std::string>& result, HttpResponse* response);
void ReplyError(const Status& status, HttpResponse* response);

// ---- URL parameters -------------------------------------------------------------------------

/// ?refresh: absent/"false" → kFalse; bare "?refresh" or "true" → kTrue; "wait_for".
Result<RefreshPolicy> RefreshParam(const RestRequest& request);
/// The {index} path parameter, or "" for routes without one.
inline std::string_view IndexParam(const RestRequest& request) {
  return request.PathParam("index");
}

}  // namespace lookalike::server
