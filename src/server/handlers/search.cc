// GET/POST /_search and /{index}/_search. The codec (server/es/search_codec.h) parses the body
// and the URL parameters (which override the body, as in Elasticsearch) into a SearchRequest;
// the engine call is timed for the slow log. A neural query is a query node the engine embeds
// with its plug-in (lookalike/field_embedder.h); the response then leads with "embed_took".
#include <chrono>

#include "server/es/cluster_render.h"
#include "server/es/search_codec.h"
#include "server/es/search_render.h"
#include "server/error_mapping.h"
#include "server/handlers/rest_common.h"
#include "server/handlers/slowlog.h"
#include "server/image/image_handlers.h"

namespace lookalike::server {
namespace {

// Cluster mode: the coordinator scatters the typed request to the shard copies and merges.
// Failed shards are listed in the answer; on an error they are left in `*failures` (with
// their Elasticsearch types) for the error's "failed_shards".
Result<std::string> ClusterSearch(RestContext& ctx, const RestRequest& req, std::string_view index,
                                  const SearchRequest& request, std::vector<ShardFailure>* failures) {
  LOOKALIKE_ASSIGN_OR_RETURN(cluster::ScatterCall call, ScatterCallOf(req));
  auto result = ctx.coordinator->Search(index.empty() ? std::string_view("_all") : index,
                                        request, call, failures);
  SetFailureTypes(failures);
  if (!result.ok()) return result.status();
  return es::RenderClusterSearchResponse(*result, *failures);
}

void ReplyClusterSearch(RestContext& ctx, const RestRequest& req, const SearchRequest& request,
                        HttpResponse* resp) {
  std::vector<ShardFailure> failures;
  auto body = ClusterSearch(ctx, req, IndexParam(req), request, &failures);
  if (!body.ok()) return SetShardsFailedResponse(body.status(), failures, resp);
  Reply(std::move(body), resp);
}

class CoordinatedImageSearch final : public ImageSearchRoute {
 public:
  explicit CoordinatedImageSearch(RestContext& ctx) : ctx_(ctx) {}
  bool Routes(std::string_view index) const override { return Coordinated(ctx_, index); }
  Result<EmbedSpec> NeuralTarget(const RestRequest& req, std::string_view index,
                                 const NeuralNode& node) const override {
    LOOKALIKE_ASSIGN_OR_RETURN(cluster::ScatterCall call, ScatterCallOf(req));
    return ctx_.coordinator->NeuralTarget(index, node, call);
  }
  Result<std::string> Search(const RestRequest& req, std::string_view index,
                             const SearchRequest& search) const override {
    std::vector<ShardFailure> failures;
    return ClusterSearch(ctx_, req, index, search, &failures);
  }

 private:
  RestContext& ctx_;
};

}  // namespace

std::unique_ptr<ImageSearchRoute> MakeImageSearchRoute(RestContext& ctx) {
  return std::make_unique<CoordinatedImageSearch>(ctx);
}

void RegisterSearchHandlers(Router& router, RestContext& ctx) {
  Engine& e = *ctx.engine;
  auto search = [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    if (const std::string* keep_alive = req.Param("scroll")) {
      return Reply(StartScroll(ctx, req, *keep_alive), resp);
    }
    es::SearchParseOptions parse;
    parse.max_clause_count = e.MaxClauseCount();
    if (ctx.search_pipelines != nullptr) {
      parse.stored_pipeline = [&ctx, &req](const std::string* named) {
        return ResolveSearchPipeline(ctx, IndexParam(req), named);
      };
    }
    auto request = es::ParseSearchRequest(req.body(), req.http.query, parse);
    if (!request.ok()) return ReplyError(request.status(), resp);
    if (Status s = AuthorizeLookups(req, *request); !s.ok()) return ReplyError(s, resp);
    if (Coordinated(ctx, IndexParam(req))) return ReplyClusterSearch(ctx, req, *request, resp);
    auto started = std::chrono::steady_clock::now();
    auto result = e.Search(IndexParam(req), *request);
    MaybeLogSlowSearch(e, IndexParam(req), req.body(), started, result);  // neural: "image"
    if (!result.ok()) return ReplyError(result.status(), resp);
    Reply(es::RenderSearchResponse(*result), resp);
  };
  router.Add("GET,POST", "/_search", search);
  router.Add("GET,POST", "/{index}/_search", search);
  RegisterScrollHandlers(router, ctx);
}

}  // namespace lookalike::server
