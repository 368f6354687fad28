// See doc_codec.h.
#include "server/es/doc_codec.h"

#include "common/json_writer.h"
#include "engine/json_util.h"
#include "server/error_mapping.h"

namespace lookalike::es {

Status ParseUpdateBody(std::string_view body, WriteOp* op) {
  thread_local simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(simdjson::dom::element root, engine::ParseJson(parser, body));
  simdjson::dom::element doc, upsert, script;
  if (root.at_key("script").get(script) == simdjson::SUCCESS) {
    return Status::InvalidArgument("scripted updates are not supported")
        .WithKind(ErrorKind::kInvalidValue);
  }
  if (root.at_key("doc").get(doc) == simdjson::SUCCESS) {
    op->partial_doc = engine::ElementToJson(doc);
  }
  if (root.at_key("upsert").get(upsert) == simdjson::SUCCESS) {
    op->upsert = engine::ElementToJson(upsert);
  }
  bool doc_as_upsert = false;
  if (root.at_key("doc_as_upsert").get_bool().get(doc_as_upsert)) doc_as_upsert = false;
  op->doc_as_upsert = doc_as_upsert;
  return Status::OK();
}

int WriteOutcomeHttpStatus(const WriteOutcome& outcome) {
  switch (outcome.result) {
    case WriteResultKind::kCreated: return 201;
    case WriteResultKind::kNotFound: return 404;
    default: return 200;
  }
}

std::string RenderWriteOutcome(const WriteOutcome& r) {
  bool applied = r.result != WriteResultKind::kNoop && r.result != WriteResultKind::kNotFound;
  JsonWriter w;
  w.BeginObject().Key("_index").String(r.index).Key("_id").String(r.id);
  w.Key("_version").Int(r.version).Key("result").String(WriteResultName(r.result));
  w.Key("_shards").BeginObject().Key("total").Int(1).Key("successful").Int(applied ? 1 : 0);
  w.Key("failed").Int(0).EndObject();
  w.Key("_seq_no").Int(r.seq_no).Key("_primary_term").Int(r.primary_term).EndObject();
  return w.Take();
}

void ReplyWriteOutcome(const Result<WriteOutcome>& result, server::HttpResponse* response) {
  if (!result.ok()) return server::SetErrorResponse(result.status(), response);
  const WriteOutcome& outcome = result.value();
  response->status = WriteOutcomeHttpStatus(outcome);
  response->body = RenderWriteOutcome(outcome);
  if (response->status == 201) {
    response->headers.emplace_back("location", "/" + outcome.index + "/_doc/" + outcome.id);
  }
}

std::string RenderStoredDocument(const StoredDocument& doc) {
  JsonWriter w;
  w.BeginObject().Key("_index").String(doc.index).Key("_id").String(doc.id);
  if (!doc.found) {
    w.Key("found").Bool(false).EndObject();
    return w.Take();
  }
  w.Key("_version").Int(doc.version).Key("_seq_no").Int(doc.seq_no);
  w.Key("_primary_term").Int(doc.primary_term).Key("found").Bool(true);
  if (doc.source.has_value()) w.Key("_source").Raw(*doc.source);
  w.EndObject();
  return w.Take();
}

void ReplyStoredDocument(const Result<StoredDocument>& result, server::HttpResponse* response) {
  if (!result.ok()) return server::SetErrorResponse(result.status(), response);
  response->status = result->found ? 200 : 404;
  response->body = RenderStoredDocument(result.value());
}

}  // namespace lookalike::es
