// GET/POST /_search and /{index}/_search. URL parameters (size, from, q, _source, sort,
// track_total_hits) override the body, as in Elasticsearch.
#include <chrono>

#include "server/es/search_render.h"
#include "server/handlers/rest_common.h"
#include "server/handlers/slowlog.h"
#include "server/image/image_handlers.h"
#include "server/image/image_query.h"

namespace lookalike::server {

void RegisterSearchHandlers(Router& router, RestContext& ctx) {
  Engine& e = *ctx.engine;
  auto search = [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    auto options = SearchOptionsFrom(req);
    if (!options.ok()) return ReplyError(options.status(), resp);
    if (const std::string* keep_alive = req.Param("scroll")) {
      return Reply(StartScroll(ctx, req, options.value(), *keep_alive), resp);
    }
    if (ctx.image_api != nullptr) {
      // {"query":{"neural":{FIELD:{"query_image":...}}}} becomes a knn query on the embedding.
      auto rewritten = ctx.image_api->RewriteNeuralSearch(IndexParam(req), req.body());
      if (!rewritten.ok()) return ReplyError(rewritten.status(), resp);
      if (rewritten->has_value()) {
        const auto& rw = **rewritten;
        auto started = std::chrono::steady_clock::now();
        auto result = e.Search(IndexParam(req), rw.body, options.value());
        MaybeLogSlowSearch(e, IndexParam(req), rw.body, started, result, "image");
        if (!result.ok()) return ReplyError(result.status(), resp);
        return Reply(es::RenderSearchResponse(*result, EmbedTookFields(rw.embed_ms, rw.model)),
                     resp);
      }
    }
    auto started = std::chrono::steady_clock::now();
    auto result = e.Search(IndexParam(req), req.body(), options.value());
    MaybeLogSlowSearch(e, IndexParam(req), req.body(), started, result);
    if (!result.ok()) return ReplyError(result.status(), resp);
    Reply(es::RenderSearchResponse(*result), resp);
  };
  router.Add("GET,POST", "/_search", search);
  router.Add("GET,POST", "/{index}/_search", search);
  RegisterScrollHandlers(router, ctx);
}

}  // namespace lookalike::server
