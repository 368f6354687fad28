// POST /{index}/_near_duplicates: the near-duplicate report (lookalike/near_duplicates.h), a
// Lookalike extension. The codec (server/es/near_duplicates_codec.h) parses the body and
// renders the report; the engine finds the groups.
#include "server/es/near_duplicates_codec.h"
#include "server/handlers/rest_common.h"

namespace lookalike::server {

void RegisterNearDuplicateHandlers(Router& router, RestContext& ctx) {
  Engine& e = *ctx.engine;
  router.Add("POST", "/{index}/_near_duplicates", [&e](const RestRequest& req, HttpResponse* resp) {
    auto request = es::ParseNearDuplicatesBody(req.body());
    if (!request.ok()) return ReplyError(request.status(), resp);
    auto report =
        e.FindNearDuplicates(IndexParam(req), request->field, request->min_score, request->options);
    if (!report.ok()) return ReplyError(report.status(), resp);
    Reply(es::RenderNearDuplicates(*report), resp);
  });
}

}  // namespace lookalike::server
