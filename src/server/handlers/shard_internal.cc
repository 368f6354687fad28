// The shard endpoints a coordinating node calls on the node holding a shard copy (issue 9):
//
//   POST /_internal/shards/{index}/{endpoint}   binary request → binary answer
//
// for the endpoints of cluster/shard_calls.h (_search, _count, _get, _vector, _neural_target).
// {index} is the local engine index of the copy (cluster/shard_map.h ShardIndexName). Bodies are
// the formats of docs/formats/search-request.md and search-result.md (content type
// application/octet-stream); an error is answered with the status the error table gives it and a
// binary shard error (the Status itself), so the coordinator sees the shard's error exactly.
//
// Authorisation (security on): the coordinator forwards the user's credentials; the route needs
// read on the user's index, the part of {index} before the first '~'
// (security/route_privileges.cc), so a shard call grants nothing a direct search would not.
#include "cluster/search_wire.h"
#include "cluster/shard_calls.h"
#include "server/error_mapping.h"
#include "server/handlers/rest_common.h"

namespace lookalike::server {
namespace {

constexpr std::string_view kBinary = "application/octet-stream";

void ReplyBinary(Result<std::string> body, HttpResponse* resp) {
  resp->content_type = std::string(kBinary);
  if (!body.ok()) {
    resp->status = HttpStatusFor(body.status());
    resp->body = cluster::EncodeShardError(body.status());
    return;
  }
  resp->status = 200;
  resp->body = std::move(body).value();
}

}  // namespace

void RegisterShardHandlers(Router& router, RestContext& ctx) {
  Engine& e = *ctx.engine;
  for (std::string_view endpoint : cluster::ShardEndpoints()) {
    router.Add("POST", "/_internal/shards/{index}/" + std::string(endpoint),
               [&e, endpoint](const RestRequest& req, HttpResponse* resp) {
                 ReplyBinary(cluster::AnswerShardCall(e, IndexParam(req), endpoint, req.body()),
                             resp);
               });
  }
}

}  // namespace lookalike::server
