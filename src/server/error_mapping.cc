#include "server/error_mapping.h"

#include <iterator>

#include "common/json_writer.h"
#include "lookalike/engine.h"

namespace lookalike::server {

namespace {

// How a client sees an error: the HTTP status and the Elasticsearch exception name.
struct Rendering {
  int http_status;
  std::string_view type;
};

// THE table: every (code, kind) an error can carry → what clients see. A kind decides both
// columns whatever the code (e.g. kForbidden is 403 even on an InvalidArgument); an error with
// no kind is rendered from its code. The one exception is the two security codes: a 401 must
// stay a 401 (it carries the authentication challenges), so their status always comes from the
// code. Indexed by ErrorKind; the static_assert and ErrorMapping.EveryKindHasARow keep it whole.
constexpr Rendering kKindRenderings[] = {
    /* kNone: rendered from the code */ {0, ""},
    /* kInvalidValue */ {400, "illegal_argument_exception"},
    /* kMalformedRequest */ {400, "parsing_exception"},
    /* kMalformedInput */ {400, "parse_exception"},
    /* kMalformedContent */ {400, "x_content_parse_exception"},
    /* kRequestValidation */ {400, "action_request_validation_exception"},
    /* kMappingParse */ {400, "mapper_parsing_exception"},
    /* kStrictMapping */ {400, "strict_dynamic_mapping_exception"},
    /* kIndexNotFound */ {404, "index_not_found_exception"},
    /* kIndexAlreadyExists */ {400, "resource_already_exists_exception"},
    /* kInvalidIndexName */ {400, "invalid_index_name_exception"},
    /* kIndexUnavailable */ {503, "unavailable_shards_exception"},
    /* kDocumentMissing */ {404, "document_missing_exception"},
    /* kResourceNotFound */ {404, "resource_not_found_exception"},
    /* kVersionConflict */ {409, "version_conflict_engine_exception"},
    /* kWriteBlocked: read-only-allow-delete block (disk flood stage) */
    {429, "cluster_block_exception"},
    /* kSearchRejected: too_many_clauses */ {400, "search_phase_execution_exception"},
    /* kScrollMissing */ {404, "search_context_missing_exception"},
    /* kTooManyScrolls */ {429, "too_many_scroll_contexts_exception"},
    /* kQueueFull */ {429, "es_rejected_execution_exception"},
    /* kBodyTooLarge */ {413, "content_too_long_exception"},
    /* kForbidden: e.g. an image path outside every --image-root */ {403, "security_exception"},
    /* kRepositoryInvalid: bad settings, location outside --path-repo */
    {400, "repository_exception"},
    /* kRepositoryMissing */ {404, "repository_missing_exception"},
    /* kSnapshotMissing */ {404, "snapshot_missing_exception"},
    /* kInvalidSnapshotName */ {400, "invalid_snapshot_name_exception"},
    /* kRestoreFailed */ {500, "snapshot_restore_exception"},
    /* kSnapshotBusy */ {503, "concurrent_snapshot_execution_exception"},
    /* kMethodNotAllowed */ {405, "method_not_allowed_exception"},
    /* kShardsFailed: Elasticsearch's SearchPhaseExecutionException over shards that had no
       available copy (NoShardAvailableActionException, 503) */
    {503, "search_phase_execution_exception"},
    /* kNoMaster: Elasticsearch's "blocked by: [SERVICE_UNAVAILABLE/2/no master]" */
    {503, "cluster_block_exception"},
    /* kRepositoryVerification */ {500, "repository_verification_exception"},
};
static_assert(std::size(kKindRenderings) == kErrorKindCount,
              "every ErrorKind needs a row in kKindRenderings");

// The rendering of an error that carries no kind: by its code alone.
Rendering RenderingOfCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return {200, ""};
    case StatusCode::kInvalidArgument: return {400, "illegal_argument_exception"};
    case StatusCode::kNotFound: return {404, "resource_not_found_exception"};
    case StatusCode::kAlreadyExists: return {400, "resource_already_exists_exception"};
    case StatusCode::kConflict: return {409, "version_conflict_engine_exception"};
    case StatusCode::kResourceExhausted: return {413, "content_too_long_exception"};
    case StatusCode::kUnsupported: return {400, "illegal_argument_exception"};
    case StatusCode::kUnavailable: return {503, "unavailable_shards_exception"};
    case StatusCode::kCorruption: return {500, "corrupt_index_exception"};
    case StatusCode::kIOError: return {500, "io_exception"};
    case StatusCode::kUnauthenticated: return {401, "security_exception"};
    case StatusCode::kPermissionDenied: return {403, "security_exception"};
  }
  return {500, "exception"};
}

Rendering RenderingOf(StatusCode code, ErrorKind kind) {
  Rendering by_code = RenderingOfCode(code);
  auto index = static_cast<size_t>(kind);
  if (kind == ErrorKind::kNone || index >= std::size(kKindRenderings)) return by_code;
  Rendering by_kind = kKindRenderings[index];
  // Both are security_exception; the code tells "who are you" (401) from "not allowed" (403).
  if (code == StatusCode::kUnauthenticated || code == StatusCode::kPermissionDenied) {
    by_kind.http_status = by_code.http_status;
  }
  return by_kind;
}

}  // namespace

int HttpStatusFor(StatusCode code, ErrorKind kind) { return RenderingOf(code, kind).http_status; }

std::string_view ErrorTypeFor(StatusCode code, ErrorKind kind) {
  return RenderingOf(code, kind).type;
}

int HttpStatusFor(const Status& status) { return HttpStatusFor(status.code(), status.kind()); }

std::string_view ErrorTypeFor(const Status& status) {
  return ErrorTypeFor(status.code(), status.kind());
}

namespace {
// What a 401 offers the client (RFC 9110 §11.6.1), in Elasticsearch's order.
constexpr std::string_view kAuthenticateChallenges[] = {
    "Basic realm=\"security\" charset=\"UTF-8\"", "ApiKey"};

void WriteChallengeHeader(JsonWriter* w) {
  w->Key("header").BeginObject().Key("WWW-Authenticate").BeginArray();
  for (std::string_view challenge : kAuthenticateChallenges) w->String(challenge);
  w->EndArray().EndObject();
}

void WriteCause(std::string_view type, std::string_view reason, std::string_view index,
                bool challenge, JsonWriter* w) {
  w->Key("type").String(type).Key("reason").String(reason);
  if (challenge) WriteChallengeHeader(w);
  if (!index.empty()) {
    if (type == "index_not_found_exception") {
      w->Key("resource.type").String("index_or_alias").Key("resource.id").String(index);
    }
    w->Key("index_uuid").String("_na_").Key("index").String(index);
  }
}

void WriteErrorObject(std::string_view type, std::string_view reason, std::string_view index,
                      bool challenge, JsonWriter* w) {
  w->BeginObject().Key("root_cause").BeginArray().BeginObject();
  WriteCause(type, reason, index, challenge, w);
  w->EndObject().EndArray();
  WriteCause(type, reason, index, challenge, w);
  w->EndObject();
}

void AppendBody(int http_status, std::string_view type, std::string_view reason,
                std::string_view index, std::string* out) {
  JsonWriter w(out);
  w.BeginObject().Key("error");
  WriteErrorObject(type, reason, index, http_status == 401, &w);
  w.Key("status").Int(http_status).EndObject();
}
}  // namespace

void WriteErrorObject(const Status& status, JsonWriter* w) {
  WriteErrorObject(ErrorTypeFor(status), status.message(), IndexNameOf(status),
                   HttpStatusFor(status) == 401, w);
}

void AppendErrorBody(int http_status, std::string_view type, std::string_view reason,
                     std::string* out) {
  AppendBody(http_status, type, reason, "", out);
}

void AddAuthenticateChallenges(HttpResponse* response) {
  for (std::string_view challenge : kAuthenticateChallenges) {
    response->headers.emplace_back("WWW-Authenticate", std::string(challenge));
  }
}

void SetErrorResponse(int http_status, std::string_view type, std::string_view reason,
                      HttpResponse* response) {
  if (http_status == 401) AddAuthenticateChallenges(response);
  response->status = http_status;
  response->content_type = "application/json; charset=UTF-8";
  response->body.clear();
  AppendBody(http_status, type, reason, "", &response->body);
}

void SetErrorResponse(const Status& status, HttpResponse* response) {
  int http_status = HttpStatusFor(status);
  if (http_status == 401) AddAuthenticateChallenges(response);
  response->status = http_status;
  response->content_type = "application/json; charset=UTF-8";
  response->body.clear();
  AppendBody(http_status, ErrorTypeFor(status), status.message(), IndexNameOf(status),
             &response->body);
}

namespace {
std::string FailureType(const ShardFailure& f) {
  return f.type.empty() ? std::string(ErrorTypeFor(f.code, f.kind)) : f.type;
}

// Each distinct (type, reason) once, in the order the shards failed, as Elasticsearch groups
// shard failures ("grouped": true).
std::vector<const ShardFailure*> DistinctCauses(const std::vector<ShardFailure>& failures) {
  std::vector<const ShardFailure*> out;
  for (const ShardFailure& f : failures) {
    bool seen = false;
    for (const ShardFailure* o : out) {
      seen |= FailureType(*o) == FailureType(f) && o->reason == f.reason;
    }
    if (!seen) out.push_back(&f);
  }
  return out;
}
}  // namespace

void SetShardsFailedResponse(const Status& status, const std::vector<ShardFailure>& failures,
                             HttpResponse* response) {
  if (status.kind() != ErrorKind::kShardsFailed) return SetErrorResponse(status, response);
  int http_status = HttpStatusFor(status);
  response->status = http_status;
  response->content_type = "application/json; charset=UTF-8";
  response->body.clear();
  JsonWriter w(&response->body);
  w.BeginObject().Key("error").BeginObject().Key("root_cause").BeginArray();
  for (const ShardFailure* f : DistinctCauses(failures)) {
    w.BeginObject().Key("type").String(FailureType(*f)).Key("reason").String(f->reason);
    // Elasticsearch prints an exception's shard metadata as a string.
    w.Key("index").String(f->index).Key("shard").String(std::to_string(f->shard)).EndObject();
  }
  w.EndArray().Key("type").String(ErrorTypeFor(status)).Key("reason").String(status.message());
  w.Key("phase").String("query").Key("grouped").Bool(true).Key("failed_shards").BeginArray();
  for (const ShardFailure& f : failures) {
    w.BeginObject().Key("shard").Int(f.shard).Key("index").String(f.index).Key("node");
    if (f.node.empty()) {
      w.Null();
    } else {
      w.String(f.node);
    }
    w.Key("reason").BeginObject().Key("type").String(FailureType(f));
    w.Key("reason").String(f.reason).EndObject().EndObject();
  }
  w.EndArray().EndObject().Key("status").Int(http_status).EndObject();
}

void SetContentTypeNotSupported(std::string_view content_type, HttpResponse* response) {
  response->status = 406;
  response->content_type = "application/json; charset=UTF-8";
  response->body.clear();
  JsonWriter w(&response->body);
  w.BeginObject()
      .Key("error")
      .String("Content-Type header [" + std::string(content_type) + "] is not supported")
      .Key("status")
      .Int(406)
      .EndObject();
}

}  // namespace lookalike::server
