// POST /_bulk and /{index}/_bulk: the NDJSON body goes to the engine untouched (it parses
// vectors straight from these bytes with simdjson).
#include "server/handlers/rest_common.h"

namespace lookalike::server {

void RegisterBulkHandlers(Router& router, RestContext& ctx) {
  Engine& e = *ctx.engine;
  auto bulk = [&e](const RestRequest& req, HttpResponse* resp) {
    auto refresh = RefreshParam(req);
    if (!refresh.ok()) return ReplyError(refresh.status(), resp);
    Reply(e.Bulk(IndexParam(req), req.body(), refresh.value()), resp);
  };
  router.Add("POST,PUT", "/_bulk", bulk);
  router.Add("POST,PUT", "/{index}/_bulk", bulk);
}

}  // namespace lookalike::server
