// Single-document endpoints: index (with or without id), create, get, delete, update.
#include "server/handlers/rest_common.h"
#include "server/image/image_handlers.h"

namespace lookalike::server {

namespace {

Result<WriteCondition> ConditionParam(const RestRequest& req) {
  return ParseWriteCondition(req.Param("if_seq_no"), req.Param("if_primary_term"));
}

void IndexDoc(Engine& e, const RestContext& ctx, const RestRequest& req, HttpResponse* resp,
              OpType op_type) {
  auto refresh = RefreshParam(req);
  if (!refresh.ok()) return ReplyError(refresh.status(), resp);
  if (const std::string* op = req.Param("op_type")) {
    auto parsed = ParseOpType(*op);
    if (!parsed.ok()) return ReplyError(parsed.status(), resp);
    if (parsed.value() == OpType::kCreate) op_type = OpType::kCreate;
  }
  auto condition = ConditionParam(req);
  if (!condition.ok()) return ReplyError(condition.status(), resp);
  std::string_view body = req.body();
  std::optional<std::string> embedded;  // the document with its image embedded, if any
  if (ctx.image_api != nullptr) {
    auto rewritten = ctx.image_api->EmbedDocument(IndexParam(req), body);
    if (!rewritten.ok()) return ReplyError(rewritten.status(), resp);
    embedded = std::move(rewritten).value();
    if (embedded.has_value()) body = *embedded;
  }
  Reply(e.IndexDocument(IndexParam(req), req.PathParam("id"), body, op_type, refresh.value(),
                        condition.value()),
        resp);
}

}  // namespace

void RegisterDocumentHandlers(Router& router, RestContext& ctx) {
  Engine& e = *ctx.engine;
  router.Add("PUT,POST", "/{index}/_doc/{id}", [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    IndexDoc(e, ctx, req, resp, OpType::kIndex);
  });
  router.Add("POST", "/{index}/_doc", [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
    IndexDoc(e, ctx, req, resp, OpType::kIndex);
  });
  router.Add("PUT,POST", "/{index}/_create/{id}",
             [&e, &ctx](const RestRequest& req, HttpResponse* resp) {
               IndexDoc(e, ctx, req, resp, OpType::kCreate);
             });
  auto get = [&e](const RestRequest& req, HttpResponse* resp) {
    auto options = SearchOptionsFrom(req);
    if (!options.ok()) return ReplyError(options.status(), resp);
    Reply(e.GetDocument(IndexParam(req), req.PathParam("id"), options.value()), resp);
  };
  router.Add("GET,HEAD", "/{index}/_doc/{id}", get);
  router.Add("DELETE", "/{index}/_doc/{id}", [&e](const RestRequest& req, HttpResponse* resp) {
    auto refresh = RefreshParam(req);
    if (!refresh.ok()) return ReplyError(refresh.status(), resp);
    auto condition = ConditionParam(req);
    if (!condition.ok()) return ReplyError(condition.status(), resp);
    Reply(e.DeleteDocument(IndexParam(req), req.PathParam("id"), refresh.value(),
                           condition.value()),
          resp);
  });
  router.Add("POST", "/{index}/_update/{id}", [&e, &ctx](const RestRequest& req,
                                                         HttpResponse* resp) {
    auto refresh = RefreshParam(req);
    if (!refresh.ok()) return ReplyError(refresh.status(), resp);
    auto condition = ConditionParam(req);
    if (!condition.ok()) return ReplyError(condition.status(), resp);
    std::string_view body = req.body();
    std::optional<std::string> embedded;  // the update with a new image's vector, if any
    if (ctx.image_api != nullptr) {
      auto rewritten = ctx.image_api->EmbedUpdate(IndexParam(req), body);
      if (!rewritten.ok()) return ReplyError(rewritten.status(), resp);
      embedded = std::move(rewritten).value();
      if (embedded.has_value()) body = *embedded;
    }
    Reply(e.UpdateDocument(IndexParam(req), req.PathParam("id"), body, refresh.value(),
                           condition.value()),
          resp);
  });
}

}  // namespace lookalike::server
