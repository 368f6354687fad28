// POST /_bulk and /{index}/_bulk: the codec (server/es/bulk_codec.h) parses the NDJSON into
// typed writes, the engine writes them, the codec renders the response.
#include "server/es/bulk_codec.h"
#include "server/handlers/rest_common.h"
#include "server/image/image_handlers.h"

namespace lookalike::server {

void RegisterBulkHandlers(Router& router, RestContext& ctx) {
  Engine& e = *ctx.engine;
  auto bulk = [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    auto refresh = RefreshParam(req);
    if (!refresh.ok()) return ReplyError(refresh.status(), resp);
    // Items referencing images for a mapped "source_field" are embedded first (image_ingest.h);
    // vector bulks skip that after one scan for "path"/"base64".
    if (ctx.image_api != nullptr) {
      return Reply(ctx.image_api->Bulk(IndexParam(req), req.body(), refresh.value()), resp);
    }
    Reply(es::Bulk(e, IndexParam(req), req.body(), refresh.value()), resp);
  };
  router.Add("POST,PUT", "/_bulk", bulk);
  router.Add("POST,PUT", "/{index}/_bulk", bulk);
}

}  // namespace lookalike::server
