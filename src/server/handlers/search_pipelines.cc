// OpenSearch's search pipeline API: PUT /_search/pipeline/{id}, GET /_search/pipeline[/{id}],
// DELETE /_search/pipeline/{id}. The pipelines are the node's (SearchPipelineStore, one file
// in the data directory); _search uses them through ?search_pipeline and the index setting
// index.search.default_pipeline (handlers/search.cc).
//
// Cluster mode: refused with 400. The cluster keeps index metadata in etcd, but a pipeline
// there would need its own key space, watch and apply path on every node; until then a
// pipeline that only the receiving node knew would fuse differently depending on which node a
// client reached. A hybrid query with an inline "search_pipeline" works in cluster mode.
#include <simdjson.h>

#include "cluster/cluster_state.h"
#include "common/json_writer.h"
#include "engine/index_settings.h"
#include "server/handlers/rest_common.h"
#include "server/search_pipeline_store.h"

namespace lookalike::server {
namespace {

Status RefuseInCluster(const RestContext& ctx) {
  if (ctx.cluster == nullptr && ctx.coordinator == nullptr) return Status::OK();
  return Status::InvalidArgument(
             "stored search pipelines are not supported in cluster mode; give the pipeline in "
             "the search body as \"search_pipeline\": {…}")
      .WithKind(ErrorKind::kInvalidValue);
}

// Cluster mode has no stored pipelines, so an index whose default_pipeline names one cannot be
// searched with a hybrid query as asked: refused rather than fused with the defaults.
Status RefuseClusterDefault(const RestContext& ctx, std::string_view index) {
  if (ctx.cluster == nullptr || ctx.cluster->state == nullptr || index.empty()) {
    return Status::OK();
  }
  auto snapshot = ctx.cluster->state->snapshot();
  auto it = snapshot->indices.find(std::string(index));
  if (it == snapshot->indices.end()) return Status::OK();
  simdjson::dom::parser parser;
  simdjson::dom::element settings;
  const std::string& json = it->second.settings_json;
  if (parser.parse(json.data(), json.size()).get(settings) != simdjson::SUCCESS) {
    return Status::OK();
  }
  engine::FlatSettings flat;
  engine::FlattenSettings(settings, &flat);
  auto setting = flat.find(std::string(kDefaultSearchPipeline));
  if (setting == flat.end() || setting->second == "_none") return Status::OK();
  return Status::InvalidArgument("[" + std::string(kDefaultSearchPipeline) + "] of [" +
                                 std::string(index) + "] names [" + setting->second +
                                 "], but stored search pipelines are not supported in cluster "
                                 "mode; give the pipeline in the search body")
      .WithKind(ErrorKind::kInvalidValue);
}

void List(RestContext& ctx, std::string_view ids, HttpResponse* resp) {
  auto listed = ctx.search_pipelines->List(ids);
  if (!listed.ok()) return ReplyError(listed.status(), resp);
  JsonWriter w;
  w.BeginObject();
  for (const auto& [id, body] : *listed) w.Key(id).Raw(body);
  w.EndObject();
  resp->body = w.Take();
}

}  // namespace

void RegisterSearchPipelineHandlers(Router& router, RestContext& ctx) {
  router.Add("PUT", "/_search/pipeline/{id}",
             [&ctx](const RestRequest& req, HttpResponse* resp) {
               if (Status s = RefuseInCluster(ctx); !s.ok()) return ReplyError(s, resp);
               Status s = ctx.search_pipelines->Put(std::string(req.PathParam("id")), req.body());
               if (!s.ok()) return ReplyError(s, resp);
               resp->body = "{\"acknowledged\":true}";
             });
  router.Add("GET", "/_search/pipeline", [&ctx](const RestRequest&, HttpResponse* resp) {
    if (Status s = RefuseInCluster(ctx); !s.ok()) return ReplyError(s, resp);
    List(ctx, "", resp);
  });
  router.Add("GET", "/_search/pipeline/{id}", [&ctx](const RestRequest& req, HttpResponse* resp) {
    if (Status s = RefuseInCluster(ctx); !s.ok()) return ReplyError(s, resp);
    List(ctx, req.PathParam("id"), resp);
  });
  router.Add("DELETE", "/_search/pipeline/{id}",
             [&ctx](const RestRequest& req, HttpResponse* resp) {
               if (Status s = RefuseInCluster(ctx); !s.ok()) return ReplyError(s, resp);
               Status s = ctx.search_pipelines->Delete(std::string(req.PathParam("id")));
               if (!s.ok()) return ReplyError(s, resp);
               resp->body = "{\"acknowledged\":true}";
             });
}

Result<std::optional<es::SearchPipeline>> ResolveSearchPipeline(const RestContext& ctx,
                                                               std::string_view index,
                                                               const std::string* named) {
  std::string name;
  if (named != nullptr) {
    LOOKALIKE_RETURN_IF_ERROR(RefuseInCluster(ctx));
    name = *named;
  } else {
    // OpenSearch applies an index's default pipeline when the search targets that one index.
    if (index.empty()) return std::optional<es::SearchPipeline>();
    if (ctx.cluster != nullptr || ctx.coordinator != nullptr) {
      LOOKALIKE_RETURN_IF_ERROR(RefuseClusterDefault(ctx, index));
      return std::optional<es::SearchPipeline>();
    }
    auto described = ctx.engine->DescribeIndices(index);
    if (!described.ok() || described->size() != 1) return std::optional<es::SearchPipeline>();
    auto it = described->front().settings.find(std::string(kDefaultSearchPipeline));
    if (it == described->front().settings.end()) return std::optional<es::SearchPipeline>();
    name = it->second;
  }
  if (name.empty() || name == "_none") return std::optional<es::SearchPipeline>();
  auto found = ctx.search_pipelines->Find(name);
  if (!found.ok()) {
    return Status::InvalidArgument("search pipeline [" + name + "] is not defined")
        .WithKind(ErrorKind::kInvalidValue);
  }
  return std::optional<es::SearchPipeline>(std::move(*found));
}

}  // namespace lookalike::server
