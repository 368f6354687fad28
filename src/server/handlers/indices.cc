// Index endpoints: create/get/exists/delete, mappings, settings, count, refresh, flush, stats.
#include "server/es/index_codec.h"
#include "server/es/search_codec.h"
#include "server/es/cluster_render.h"
#include "server/error_mapping.h"
#include "server/handlers/cluster_mode.h"
#include "server/handlers/rest_common.h"

namespace lookalike::server {
namespace {

// Cluster mode: the count of every shard's copy, added; failed shards as for a search.
void ClusterCount(RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  auto request =
      es::ParseCountRequest(req.body(), req.http.query, ctx.engine->MaxClauseCount());
  if (!request.ok()) return ReplyError(request.status(), resp);
  auto call = ScatterCallOf(req);
  if (!call.ok()) return ReplyError(call.status(), resp);
  std::string_view index = IndexParam(req);
  std::vector<ShardFailure> failures;
  auto result = ctx.coordinator->Count(index.empty() ? std::string_view("_all") : index,
                                       *request, *call, &failures);
  SetFailureTypes(&failures);
  if (!result.ok()) return SetShardsFailedResponse(result.status(), failures, resp);
  Reply(es::RenderClusterCountResponse(*result, failures), resp);
}

}  // namespace

void RegisterIndexHandlers(Router& router, RestContext& ctx) {
  Engine& e = *ctx.engine;
  router.Add("PUT", "/{index}", [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    if (ctx.cluster) return ClusterCreateIndex(ctx, req, resp);
    auto definition = es::ParseCreateIndexBody(req.body());
    if (!definition.ok()) {
      return ReplyError(es::CreateIndexBodyError(IndexParam(req), definition.status()), resp);
    }
    auto created = e.CreateIndex(IndexParam(req), *definition);
    if (!created.ok()) return ReplyError(created.status(), resp);
    Reply(es::RenderCreatedIndex(*created), resp);
  });
  router.Add("GET", "/{index}", [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    if (ctx.cluster) return ClusterDescribeIndices(ctx, req, IndexView::kIndex, resp);
    Reply(es::GetIndexJson(e, IndexParam(req)), resp);
  });
  router.Add("HEAD", "/{index}", [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    if (ctx.cluster) return ClusterIndexExists(ctx, req, resp);
    resp->status = e.IndexExists(IndexParam(req)) ? 200 : 404;
  });
  router.Add("DELETE", "/{index}", [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    if (ctx.cluster) return ClusterDeleteIndex(ctx, req, resp);
    Reply(es::DeleteIndexJson(e, IndexParam(req)), resp);
  });

  auto get_mapping = [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    if (ctx.cluster && Coordinated(ctx, IndexParam(req))) {
      return ClusterDescribeIndices(ctx, req, IndexView::kMapping, resp);
    }
    Reply(es::GetMappingJson(e, IndexParam(req)), resp);
  };
  router.Add("GET", "/_mapping", get_mapping);
  router.Add("GET", "/{index}/_mapping", get_mapping);
  router.Add("PUT,POST", "/{index}/_mapping", [&e, &ctx](const RestRequest& req,
                                                         HttpResponse* resp) {
    if (ctx.cluster && Coordinated(ctx, IndexParam(req))) return ClusterPutMapping(ctx, req, resp);
    auto mapping = es::ParsePutMappingBody(req.body());
    if (!mapping.ok()) {
      // The index is resolved first, as Elasticsearch does.
      Status missing = e.DescribeIndices(IndexParam(req)).status();
      return ReplyError(missing.ok() ? mapping.status() : missing, resp);
    }
    auto ack = e.PutMapping(IndexParam(req), *mapping);
    if (!ack.ok()) return ReplyError(ack.status(), resp);
    Reply(es::RenderAcknowledged(*ack), resp);
  });
  auto get_settings = [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    if (ctx.cluster && Coordinated(ctx, IndexParam(req))) {
      return ClusterDescribeIndices(ctx, req, IndexView::kSettings, resp);
    }
    auto flag = [&req](std::string_view name) {
      const std::string* v = req.Param(name);
      return v != nullptr && *v != "false";
    };
    Reply(es::GetSettingsJson(e, IndexParam(req), flag("flat_settings"), flag("include_defaults")),
          resp);
  };
  router.Add("GET", "/_settings", get_settings);
  router.Add("GET", "/{index}/_settings", get_settings);
  auto put_settings = [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    if (ctx.cluster && Coordinated(ctx, IndexParam(req))) return ClusterPutSettings(ctx, req, resp);
    Reply(es::UpdateSettingsJson(e, IndexParam(req), req.body()), resp);
  };
  router.Add("PUT", "/_settings", put_settings);
  router.Add("PUT", "/{index}/_settings", put_settings);

  auto count = [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    if (!Coordinated(ctx, IndexParam(req))) {
      return Reply(es::CountJson(e, IndexParam(req), req.body(), req.http.query), resp);
    }
    ClusterCount(ctx, req, resp);
  };
  router.Add("GET,POST", "/_count", count);
  router.Add("GET,POST", "/{index}/_count", count);

  auto refresh = [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    if (ctx.cluster && Coordinated(ctx, IndexParam(req))) return ClusterRefresh(ctx, req, resp);
    Reply(es::RefreshJson(e, IndexParam(req)), resp);
  };
  router.Add("GET,POST", "/_refresh", refresh);
  router.Add("GET,POST", "/{index}/_refresh", refresh);

  auto flush = [&e](const RestRequest& req, HttpResponse* resp) {
    Reply(es::FlushJson(e, IndexParam(req)), resp);
  };
  router.Add("GET,POST", "/_flush", flush);
  router.Add("GET,POST", "/{index}/_flush", flush);

  auto stats = [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    if (ctx.cluster && Coordinated(ctx, IndexParam(req))) return ClusterStats(ctx, req, resp);
    Reply(es::StatsJson(e, IndexParam(req)), resp);
  };
  router.Add("GET", "/_stats", stats);
  router.Add("GET", "/{index}/_stats", stats);
}

}  // namespace lookalike::server
