// The one place that turns errors into HTTP: a Status (or a transport-level failure) becomes an
// HTTP status code and an Elasticsearch-shaped body
//   {"error":{"root_cause":[{"type":T,"reason":R}],"type":T,"reason":R},"status":N}
// Handlers never pick error status codes themselves; they return a Status and call
// SetErrorResponse.
//
// Mapping: one table in error_mapping.cc turns (StatusCode, ErrorKind) into the HTTP status and
// the Elasticsearch error `type`. A Status::kind() (set by the engine, the codec or a handler)
// decides both, e.g. kIndexNotFound 404 index_not_found_exception, kForbidden 403
// security_exception, kWriteBlocked 429 cluster_block_exception; an error without a kind is
// rendered from its code (InvalidArgument 400 illegal_argument_exception, NotFound 404
// resource_not_found_exception, AlreadyExists 400 resource_already_exists_exception, Conflict
// 409 version_conflict_engine_exception, ResourceExhausted 413 content_too_long_exception,
// Unsupported 400, Unavailable 503, Corruption/IOError 500, Unauthenticated 401 and
// PermissionDenied 403 security_exception; those two codes keep their status whatever the kind).
// Every 401 carries the challenges WWW-Authenticate: Basic realm="security" charset="UTF-8"
// and ApiKey, as headers and, like Elasticsearch, in the body's "header" object.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/json_writer.h"
#include "lookalike/shard_failure.h"
#include "lookalike/status.h"
#include "server/http/http_message.h"

namespace lookalike::server {

/// The HTTP status and Elasticsearch error `type` for an error of `code` and `kind` (200 and ""
/// for kOk). Every place that renders an error to a client goes through these.
int HttpStatusFor(StatusCode code, ErrorKind kind);
std::string_view ErrorTypeFor(StatusCode code, ErrorKind kind);
int HttpStatusFor(const Status& status);
std::string_view ErrorTypeFor(const Status& status);

/// Appends the Elasticsearch error body for (http_status, type, reason) to *out.
void AppendErrorBody(int http_status, std::string_view type, std::string_view reason,
                     std::string* out);

/// Writes just the value of "error" ({"root_cause":[…],"type":…,"reason":…}) for `status`, for
/// responses that carry errors per item (_mget).
void WriteErrorObject(const Status& status, JsonWriter* w);

/// Appends the WWW-Authenticate challenges a 401 carries.
void AddAuthenticateChallenges(HttpResponse* response);

/// Replaces *response with the error response for a non-OK `status`.
void SetErrorResponse(const Status& status, HttpResponse* response);
/// The error response of a cluster search or count that failed on shards (`status` of kind
/// kShardsFailed), in Elasticsearch's shape:
///   {"error":{"root_cause":[…],"type":"search_phase_execution_exception",
///             "reason":"all shards failed"|"Partial shards failure","phase":"query",
///             "grouped":true,"failed_shards":[{"shard":N,"index":I,"node":NODE|null,
///             "reason":{"type":T,"reason":R}},…]},"status":503}
/// root_cause holds each distinct shard error (type and reason) once, with its index and shard.
/// A failure's empty `type` is taken from the table. Any other status renders as
/// SetErrorResponse(status, …).
void SetShardsFailedResponse(const Status& status, const std::vector<ShardFailure>& failures,
                             HttpResponse* response);
/// Same for failures detected below the Status world (malformed HTTP, 413 before a handler).
void SetErrorResponse(int http_status, std::string_view type, std::string_view reason,
                      HttpResponse* response);

/// Elasticsearch's answer to a body whose Content-Type it does not read: 406 with its flat body
/// {"error":"Content-Type header [T] is not supported","status":406} (T is "" when absent).
void SetContentTypeNotSupported(std::string_view content_type, HttpResponse* response);

}  // namespace lookalike::server
