// POST /_bulk and /{index}/_bulk: the NDJSON body goes to the engine untouched (it parses
// vectors straight from these bytes with simdjson).
#include "server/handlers/rest_common.h"
#include "server/image/image_handlers.h"

namespace lookalike::server {

void RegisterBulkHandlers(Router& router, RestContext& ctx) {
  Engine& e = *ctx.engine;
  auto bulk = [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    auto refresh = RefreshParam(req);
    if (!refresh.ok()) return ReplyError(refresh.status(), resp);
    // Items referencing images for a mapped "source_field" are embedded first (image_ingest.h);
    // vector bulks pass straight through (one scan for "path"/"base64").
    if (ctx.image_api != nullptr) {
      return Reply(ctx.image_api->Bulk(IndexParam(req), req.body(), refresh.value()), resp);
    }
    Reply(e.Bulk(IndexParam(req), req.body(), refresh.value()), resp);
  };
  router.Add("POST,PUT", "/_bulk", bulk);
  router.Add("POST,PUT", "/{index}/_bulk", bulk);
}

}  // namespace lookalike::server
