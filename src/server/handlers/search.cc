// GET/POST /_search and /{index}/_search. The codec (server/es/search_codec.h) parses the body
// and the URL parameters (which override the body, as in Elasticsearch) into a SearchRequest.
#include "server/es/search_codec.h"
#include "server/es/search_render.h"
#include "server/handlers/rest_common.h"
#include "server/image/image_handlers.h"
#include "server/image/image_query.h"

namespace lookalike::server {

void RegisterSearchHandlers(Router& router, RestContext& ctx) {
  Engine& e = *ctx.engine;
  auto search = [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    if (const std::string* keep_alive = req.Param("scroll")) {
      return Reply(StartScroll(ctx, req, *keep_alive), resp);
    }
    if (ctx.image_api != nullptr) {
      // {"query":{"neural":{FIELD:{"query_image":...}}}} becomes a knn query on the embedding.
      auto rewritten =
          ctx.image_api->RewriteNeuralSearch(IndexParam(req), req.body(), req.http.query);
      if (!rewritten.ok()) return ReplyError(rewritten.status(), resp);
      if (rewritten->has_value()) {
        const auto& rw = **rewritten;
        auto result = e.Search(IndexParam(req), rw.request);
        if (!result.ok()) return ReplyError(result.status(), resp);
        return Reply(es::RenderSearchResponse(*result, EmbedTookFields(rw.embed_ms, rw.model)),
                     resp);
      }
    }
    Reply(es::SearchJson(e, IndexParam(req), req.body(), req.http.query), resp);
  };
  router.Add("GET,POST", "/_search", search);
  router.Add("GET,POST", "/{index}/_search", search);
  RegisterScrollHandlers(router, ctx);
}

}  // namespace lookalike::server
