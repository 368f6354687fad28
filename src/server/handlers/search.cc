// GET/POST /_search and /{index}/_search. The codec (server/es/search_codec.h) parses the body
// and the URL parameters (which override the body, as in Elasticsearch) into a SearchRequest;
// the engine call is timed for the slow log. A neural query is a query node the engine embeds
// with its plug-in (lookalike/field_embedder.h); the response then leads with "embed_took".
#include <chrono>

#include "server/es/search_codec.h"
#include "server/es/search_render.h"
#include "server/handlers/rest_common.h"
#include "server/handlers/slowlog.h"

namespace lookalike::server {

void RegisterSearchHandlers(Router& router, RestContext& ctx) {
  Engine& e = *ctx.engine;
  auto search = [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    if (const std::string* keep_alive = req.Param("scroll")) {
      return Reply(StartScroll(ctx, req, *keep_alive), resp);
    }
    es::SearchParseOptions parse;
    parse.max_clause_count = e.MaxClauseCount();
    auto request = es::ParseSearchRequest(req.body(), req.http.query, parse);
    if (!request.ok()) return ReplyError(request.status(), resp);
    if (Status s = AuthorizeLookups(req, *request); !s.ok()) return ReplyError(s, resp);
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
