// The shard endpoints a coordinating node calls on the node holding a shard copy (issue 9):
//
//   POST /_internal/shards/{index}/{endpoint}   binary request → binary answer
//        for the endpoints of cluster/shard_calls.h (_search, _count, _get, _vector,
//        _neural_target);
//   GET  /_internal/shards/{index}/_write_results?seq=N  → binary write results
//        (cluster/write_results.h): what this copy decided for each op of the batch at stream
//        sequence N; 503 when the copy has not applied it yet, 404 when it does not keep it.
//
// {index} is the local engine index of the copy (cluster/shard_map.h ShardIndexName). Bodies are
// the formats of docs/formats/search-request.md and search-result.md (content type
// application/octet-stream); an error is answered with the status the error table gives it and a
// binary shard error (the Status itself), so the coordinator sees the shard's error exactly.
//
// Authorisation (security on): the coordinator forwards the user's credentials; the route needs
// read on the user's index, the part of {index} before the first '~'
// (security/route_privileges.cc), so a shard call grants nothing a direct search would not.
#include <charconv>

#include "cluster/search_wire.h"
#include "cluster/shard_calls.h"
#include "cluster/shard_copies.h"
#include "cluster/write_results.h"
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

Result<std::string> ShardWriteResults(RestContext& ctx, const RestRequest& req) {
  const std::string* seq = req.Param("seq");
  uint64_t sequence = 0;
  if (seq == nullptr ||
      std::from_chars(seq->data(), seq->data() + seq->size(), sequence).ptr !=
          seq->data() + seq->size() ||
      sequence == 0) {
    return Status::InvalidArgument("seq must be a stream sequence (a positive integer)")
        .WithKind(ErrorKind::kInvalidValue);
  }
  if (ctx.cluster == nullptr || ctx.cluster->copies == nullptr) {
    return Status::NotFound("this node holds no shard copies").WithKind(ErrorKind::kIndexNotFound);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<WriteOutcome> outcomes,
                             ctx.cluster->copies->WriteResults(std::string(IndexParam(req)),
                                                               sequence));
  return cluster::EncodeWriteResults(outcomes);
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
  router.Add("GET", "/_internal/shards/{index}/_write_results",
             [&ctx](const RestRequest& req, HttpResponse* resp) {
               ReplyBinary(ShardWriteResults(ctx, req), resp);
             });
}

}  // namespace lookalike::server
