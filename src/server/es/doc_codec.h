// The Elasticsearch/OpenSearch codec for single-document writes (PUT/POST _doc, _create,
// _update, DELETE _doc): the _update body parsed into a WriteOp, and a WriteOutcome rendered
// as the response {"_index","_id","_version","result","_shards":{...},"_seq_no",
// "_primary_term"} with its status (201 created, 404 not_found, else 200).
#pragma once

#include <string>
#include <string_view>

#include "lookalike/engine.h"
#include "lookalike/write_ops.h"
#include "server/http/http_message.h"

namespace lookalike::es {

/// Sets op->partial_doc / upsert / doc_as_upsert from an _update body {"doc":{…},
/// "upsert":{…},"doc_as_upsert":bool} (also a _bulk update line). parsing_exception when the
/// body is not JSON (or nests deeper than 100 levels); illegal_argument_exception for a
/// "script" (not supported). A body with neither "doc" nor "upsert" parses; the engine refuses
/// the write (action_request_validation_exception).
Status ParseUpdateBody(std::string_view body, WriteOp* op);

/// 201 for kCreated, 404 for kNotFound, else 200.
int WriteOutcomeHttpStatus(const WriteOutcome& outcome);

/// The single-document response body of a successful outcome.
std::string RenderWriteOutcome(const WriteOutcome& outcome);

/// The whole response: status, body and, for 201, the location header; an error → the
/// Elasticsearch error response (error_mapping.h).
/// The GET _doc body: {"_index","_id","_version","_seq_no","_primary_term","found":true,
/// "_source"} or {"_index","_id","found":false}.
std::string RenderStoredDocument(const StoredDocument& doc);
/// 200 with that body, 404 (same body shape) when not found, or the mapped error.
void ReplyStoredDocument(const Result<StoredDocument>& result, server::HttpResponse* response);

void ReplyWriteOutcome(const Result<WriteOutcome>& result, server::HttpResponse* response);

}  // namespace lookalike::es
