#include "server/error_mapping.h"

#include "common/json_writer.h"
#include "lookalike/engine.h"

namespace lookalike::server {

namespace {

struct TypeStatus {
  std::string_view type;
  int http_status;
};

// Exception names whose HTTP status differs from what their Status code alone would give.
constexpr TypeStatus kTypeStatuses[] = {
    {"security_exception", 403},  // e.g. an image path outside every --image-root
    {"index_not_found_exception", 404},
    {"document_missing_exception", 404},
    {"resource_not_found_exception", 404},
    {"resource_already_exists_exception", 400},
    {"version_conflict_engine_exception", 409},
    {"method_not_allowed_exception", 405},
    {"content_too_long_exception", 413},
    {"es_rejected_execution_exception", 429},
    {"cluster_block_exception", 429},  // read-only-allow-delete block (disk flood stage)
    {"circuit_breaking_exception", 429},
    {"too_many_scroll_contexts_exception", 429},
    {"search_context_missing_exception", 404},
    {"parsing_exception", 400},
    {"parse_exception", 400},
    {"x_content_parse_exception", 400},
    {"mapper_parsing_exception", 400},
    {"illegal_argument_exception", 400},
    {"invalid_index_name_exception", 400},
    {"action_request_validation_exception", 400},
    {"search_phase_execution_exception", 400},
    {"strict_dynamic_mapping_exception", 400},
    // Snapshots (_snapshot API)
    {"repository_exception", 400},  // bad settings, location outside --path-repo
    {"repository_missing_exception", 404},
    {"snapshot_missing_exception", 404},
    {"invalid_snapshot_name_exception", 400},
    {"snapshot_restore_exception", 500},
    {"concurrent_snapshot_execution_exception", 503},
};

int StatusForCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists: return 400;
    case StatusCode::kConflict: return 409;
    case StatusCode::kResourceExhausted: return 413;
    case StatusCode::kUnsupported: return 400;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kCorruption: return 500;
    case StatusCode::kIOError: return 500;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
  }
  return 500;
}

std::string_view TypeForCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "";
    case StatusCode::kInvalidArgument: return "illegal_argument_exception";
    case StatusCode::kNotFound: return "resource_not_found_exception";
    case StatusCode::kAlreadyExists: return "resource_already_exists_exception";
    case StatusCode::kConflict: return "version_conflict_engine_exception";
    case StatusCode::kResourceExhausted: return "content_too_long_exception";
    case StatusCode::kUnsupported: return "illegal_argument_exception";
    case StatusCode::kUnavailable: return "unavailable_shards_exception";
    case StatusCode::kCorruption: return "corrupt_index_exception";
    case StatusCode::kIOError: return "io_exception";
    case StatusCode::kUnauthenticated: return "security_exception";
    case StatusCode::kPermissionDenied: return "security_exception";
  }
  return "exception";
}

}  // namespace

int HttpStatusFor(const Status& status) {
  if (status.ok()) return 200;
  // Both are security_exception; the code tells "who are you" (401) from "not allowed" (403).
  if (status.code() == StatusCode::kUnauthenticated ||
      status.code() == StatusCode::kPermissionDenied) {
    return StatusForCode(status.code());
  }
  std::string_view type = status.type();
  if (!type.empty()) {
    for (const auto& entry : kTypeStatuses) {
      if (entry.type == type) return entry.http_status;
    }
  }
  return StatusForCode(status.code());
}

std::string_view ErrorTypeFor(const Status& status) {
  if (!status.type().empty()) return status.type();
  return TypeForCode(status.code());
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
