// GET/POST /_search and /{index}/_search. URL parameters (size, from, q, _source, sort,
// track_total_hits) override the body, as in Elasticsearch.
#include "server/handlers/rest_common.h"

namespace lookalike::server {

void RegisterSearchHandlers(Router& router, RestContext& ctx) {
  Engine& e = *ctx.engine;
  auto search = [&e](const RestRequest& req, HttpResponse* resp) {
    auto options = SearchOptionsFrom(req);
    if (!options.ok()) return ReplyError(options.status(), resp);
    Reply(e.Search(IndexParam(req), req.body(), options.value()), resp);
  };
  router.Add("GET,POST", "/_search", search);
  router.Add("GET,POST", "/{index}/_search", search);
}

}  // namespace lookalike::server
