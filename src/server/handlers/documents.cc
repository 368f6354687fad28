// Single-document endpoints: index (with or without id), create, get, delete, update; and
// _mget, which is a list of gets.
#include <simdjson.h>

#include <optional>

#include "common/json_writer.h"
#include "server/error_mapping.h"
#include "server/es/doc_codec.h"
#include "server/es/search_codec.h"
#include "server/handlers/cluster_mode.h"
#include "server/handlers/rest_common.h"

namespace lookalike::server {

namespace {

Result<WriteCondition> ConditionParam(const RestRequest& req) {
  return ParseWriteCondition(req.Param("if_seq_no"), req.Param("if_primary_term"));
}

void IndexDoc(RestContext& ctx, const RestRequest& req, HttpResponse* resp, OpType op_type) {
  Engine& e = *ctx.engine;
  auto refresh = RefreshParam(req);
  if (!refresh.ok()) return ReplyError(refresh.status(), resp);
  if (const std::string* op = req.Param("op_type")) {
    auto parsed = ParseOpType(*op);
    if (!parsed.ok()) return ReplyError(parsed.status(), resp);
    if (parsed.value() == OpType::kCreate) op_type = OpType::kCreate;
  }
  auto condition = ConditionParam(req);
  if (!condition.ok()) return ReplyError(condition.status(), resp);
  WriteOp op;
  op.kind = op_type == OpType::kCreate ? WriteKind::kCreate : WriteKind::kIndex;
  op.index = std::string(IndexParam(req));
  op.id = std::string(req.PathParam("id"));
  op.source = std::string(req.body());
  op.condition = condition.value();
  if (ctx.cluster) return ClusterWriteDocument(ctx, req, std::move(op), refresh.value(), resp);
  es::ReplyWriteOutcome(e.WriteDocument(std::move(op), refresh.value()), resp);
}

Status MgetError(std::string_view reason) {
  return Status::InvalidArgument(reason).WithKind(ErrorKind::kRequestValidation);
}

// One document of an _mget request.
struct MgetEntry {
  std::string index, id;
  SourceFilter source;
  std::optional<std::string> routing;
};

// A [docs] entry's own "_source" (true/false, "a,b" or ["a","b"]): it replaces ?_source
// (?_source_includes/excludes still apply). Nullopt when the entry has none.
std::optional<std::string> OwnSourceSpec(simdjson::dom::element d) {
  simdjson::dom::element src;
  if (d["_source"].get(src) != simdjson::SUCCESS) return std::nullopt;
  bool flag;
  std::string_view v;
  if (src.get_bool().get(flag) == simdjson::SUCCESS) return flag ? "true" : "false";
  if (src.get_string().get(v) == simdjson::SUCCESS) return std::string(v);
  simdjson::dom::array includes;
  if (src.get_array().get(includes) != simdjson::SUCCESS) return std::nullopt;
  std::string fields;
  for (simdjson::dom::element f : includes) {
    if (f.get_string().get(v) != simdjson::SUCCESS) continue;
    if (!fields.empty()) fields += ',';
    fields += v;
  }
  return fields;
}

// Entry `n` of [docs]; `entry` starts with the URL's index and _source.
Status ParseMgetDoc(simdjson::dom::element d, size_t n, const RestRequest& req, MgetEntry* entry) {
  std::string_view v;
  if (!d.is_object()) return MgetError("[docs] entries must be objects");
  if (d["_index"].get_string().get(v) == simdjson::SUCCESS) entry->index = std::string(v);
  simdjson::dom::element id;
  if (d["_id"].get(id) != simdjson::SUCCESS ||
      (id.get_string().get(v) != simdjson::SUCCESS && !id.is_int64())) {
    return MgetError("Validation Failed: 1: id is missing for doc " + std::to_string(n) + ";");
  }
  entry->id = id.is_int64() ? std::to_string(int64_t(id)) : std::string(v);
  // "routing" (Elasticsearch 7+) or the older "_routing"; a string or an integer.
  for (const char* key : {"routing", "_routing"}) {
    simdjson::dom::element routing;
    if (d[key].get(routing) != simdjson::SUCCESS) continue;
    if (routing.get_string().get(v) == simdjson::SUCCESS) {
      entry->routing = std::string(v);
    } else if (routing.is_int64()) {
      entry->routing = std::to_string(int64_t(routing));
    } else {
      return MgetError("[" + std::string(key) + "] of doc " + std::to_string(n) +
                       " must be a string");
    }
  }
  if (std::optional<std::string> own = OwnSourceSpec(d)) {
    entry->source = lookalike::es::SourceFilterFromUrl(req.http.query, &*own);
  }
  if (entry->index.empty()) {
    return MgetError("Validation Failed: 1: index is missing for doc " + std::to_string(n) + ";");
  }
  return Status::OK();
}

// The documents an _mget body names: {"docs": [...]} or {"ids": [...]} (on /{index}/_mget).
Result<std::vector<MgetEntry>> ParseMgetEntries(const RestRequest& req) {
  const SourceFilter url_source = lookalike::es::SourceFilterFromUrl(req.http.query);
  const std::string default_index(IndexParam(req));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (req.body().empty() || parser.parse(req.body()).get(root) != simdjson::SUCCESS ||
      !root.is_object()) {
    return Status::InvalidArgument("request body is required and must be a JSON object with "
                                   "[docs] or [ids]")
        .WithKind(ErrorKind::kMalformedInput);
  }
  std::vector<MgetEntry> entries;
  simdjson::dom::array list;
  if (root["docs"].get_array().get(list) == simdjson::SUCCESS) {
    for (simdjson::dom::element d : list) {
      MgetEntry entry{default_index, "", url_source, std::nullopt};
      LOOKALIKE_RETURN_IF_ERROR(ParseMgetDoc(d, entries.size(), req, &entry));
      entries.push_back(std::move(entry));
    }
  } else if (root["ids"].get_array().get(list) == simdjson::SUCCESS) {
    if (default_index.empty()) {
      return MgetError("Validation Failed: 1: index is missing for doc 0;");
    }
    for (simdjson::dom::element id : list) {
      std::string_view v;
      if (id.get_string().get(v) == simdjson::SUCCESS) {
        entries.push_back({default_index, std::string(v), url_source, std::nullopt});
      } else if (id.is_int64()) {
        entries.push_back({default_index, std::to_string(int64_t(id)), url_source, std::nullopt});
      } else {
        return MgetError("[ids] must hold strings");
      }
    }
  } else {
    return MgetError("Validation Failed: 1: no documents to get;");
  }
  if (entries.size() > 10000) return MgetError("at most 10000 documents per _mget");
  return entries;
}

// GET/POST /_mget, /{index}/_mget: {"docs":[{"_index","_id","_source"?,"routing"?}, …]} or,
// with an index in the URL, {"ids":[…]}. Each entry is answered like GET /{index}/_doc/{id}
// with its own routing (else ?routing, else the id: the shard in cluster mode); an entry whose
// index is missing gets its own error object, as in Elasticsearch.
void Mget(RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  auto entries = ParseMgetEntries(req);
  if (!entries.ok()) return ReplyError(entries.status(), resp);
  const std::string* url_routing = req.Param("routing");
  JsonWriter w;
  w.BeginObject().Key("docs").BeginArray();
  for (const MgetEntry& entry : *entries) {
    const std::string* routing = entry.routing ? &*entry.routing : url_routing;
    auto got = GetDocumentFor(ctx, req, entry.index, entry.id, entry.source, routing);
    if (got.ok()) {
      w.Raw(es::RenderStoredDocument(*got));
      continue;
    }
    w.BeginObject().Key("_index").String(entry.index).Key("_id").String(entry.id).Key("error");
    WriteErrorObject(got.status(), &w);
    w.EndObject();
  }
  w.EndArray().EndObject();
  resp->status = 200;
  resp->body = w.Take();
}

}  // namespace

void RegisterDocumentHandlers(Router& router, RestContext& ctx) {
  Engine& e = *ctx.engine;
  router.Add("PUT,POST", "/{index}/_doc/{id}", [&ctx](const RestRequest& req, HttpResponse* resp) {
    IndexDoc(ctx, req, resp, OpType::kIndex);
  });
  router.Add("POST", "/{index}/_doc", [&ctx](const RestRequest& req, HttpResponse* resp) {
    IndexDoc(ctx, req, resp, OpType::kIndex);
  });
  router.Add("PUT,POST", "/{index}/_create/{id}",
             [&ctx](const RestRequest& req, HttpResponse* resp) {
               IndexDoc(ctx, req, resp, OpType::kCreate);
             });
  auto get = [&ctx](const RestRequest& req, HttpResponse* resp) {
    SourceFilter source = lookalike::es::SourceFilterFromUrl(req.http.query);
    es::ReplyStoredDocument(GetDocumentFor(ctx, req, IndexParam(req), req.PathParam("id"), source,
                                           req.Param("routing")),
                            resp);
  };
  router.Add("GET,HEAD", "/{index}/_doc/{id}", get);
  router.Add("GET,POST", "/_mget", [&ctx](const RestRequest& req, HttpResponse* resp) {
    Mget(ctx, req, resp);
  });
  router.Add("GET,POST", "/{index}/_mget", [&ctx](const RestRequest& req, HttpResponse* resp) {
    Mget(ctx, req, resp);
  });
  router.Add("DELETE", "/{index}/_doc/{id}", [&e, &ctx](const RestRequest& req,
                                                          HttpResponse* resp) {
    auto refresh = RefreshParam(req);
    if (!refresh.ok()) return ReplyError(refresh.status(), resp);
    auto condition = ConditionParam(req);
    if (!condition.ok()) return ReplyError(condition.status(), resp);
    if (ctx.cluster) {
      WriteOp op;
      op.kind = WriteKind::kDelete;
      op.index = std::string(IndexParam(req));
      op.id = std::string(req.PathParam("id"));
      op.condition = condition.value();
      return ClusterWriteDocument(ctx, req, std::move(op), refresh.value(), resp);
    }
    es::ReplyWriteOutcome(e.DeleteDocument(IndexParam(req), req.PathParam("id"),
                                           refresh.value(), condition.value()),
                          resp);
  });
  router.Add("POST", "/{index}/_update/{id}", [&e, &ctx](const RestRequest& req,
                                                               HttpResponse* resp) {
    auto refresh = RefreshParam(req);
    if (!refresh.ok()) return ReplyError(refresh.status(), resp);
    auto condition = ConditionParam(req);
    if (!condition.ok()) return ReplyError(condition.status(), resp);
    WriteOp op;
    op.kind = WriteKind::kUpdate;
    op.index = std::string(IndexParam(req));
    op.id = std::string(req.PathParam("id"));
    op.condition = condition.value();
    if (Status parsed = es::ParseUpdateBody(req.body(), &op); !parsed.ok()) {
      return ReplyError(parsed, resp);
    }
    if (ctx.cluster) return ClusterWriteDocument(ctx, req, std::move(op), refresh.value(), resp);
    es::ReplyWriteOutcome(e.WriteDocument(std::move(op), refresh.value()), resp);
  });
}

}  // namespace lookalike::server
