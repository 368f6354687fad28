// POST /_bulk and /{index}/_bulk: the codec (server/es/bulk_codec.h) parses the NDJSON into
// typed writes, each item is authorised against its own index (when security is on), the engine
// writes the rest (embedding the images of mapped source_fields, one failed image failing its
// item), the codec renders the response.
#include "server/es/bulk_codec.h"
#include "server/handlers/cluster_mode.h"
#include "server/handlers/rest_common.h"
#include "server/request_caller.h"
#include "server/security/route_privileges.h"

namespace lookalike::server {
namespace {

// Elasticsearch authorises a bulk's items one by one: an item for an index the caller may not
// write fails alone with 403 security_exception; the others are written. Checked before the
// engine reads any image, so a refused item costs no decoding.
void AuthorizeItems(const RequestCaller& caller, std::vector<es::BulkItem>* items) {
  for (es::BulkItem& item : *items) {
    if (!item.error.ok()) continue;
    Status allowed = caller.authorize(security::BulkItemAccess(item.action, item.op.index));
    if (!allowed.ok()) item.error = std::move(allowed);
  }
}

}  // namespace

void RegisterBulkHandlers(Router& router, RestContext& ctx) {
  auto bulk = [&ctx](const RestRequest& req, HttpResponse* resp) {
    auto refresh = RefreshParam(req);
    if (!refresh.ok()) return ReplyError(refresh.status(), resp);
    if (ctx.cluster) return ClusterBulk(ctx, req, refresh.value(), resp);
    auto prepare = [&req](std::vector<es::BulkItem>* items) {
      if (req.caller != nullptr) AuthorizeItems(*req.caller, items);
    };
    Reply(es::Bulk(*ctx.engine, IndexParam(req), req.body(), refresh.value(), prepare), resp);
  };
  router.Add("POST,PUT", "/_bulk", bulk);
  router.Add("POST,PUT", "/{index}/_bulk", bulk);
}

}  // namespace lookalike::server
