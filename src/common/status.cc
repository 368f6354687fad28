#include "lookalike/status.h"

namespace lookalike {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kAlreadyExists: return "already_exists";
    case StatusCode::kCorruption: return "corruption";
    case StatusCode::kIOError: return "io_error";
    case StatusCode::kResourceExhausted: return "resource_exhausted";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kUnauthenticated: return "unauthenticated";
    case StatusCode::kPermissionDenied: return "permission_denied";
  }
  return "unknown";
}

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone: return "none";
    case ErrorKind::kInvalidValue: return "invalid_value";
    case ErrorKind::kMalformedRequest: return "malformed_request";
    case ErrorKind::kMalformedInput: return "malformed_input";
    case ErrorKind::kMalformedContent: return "malformed_content";
    case ErrorKind::kRequestValidation: return "request_validation";
    case ErrorKind::kMappingParse: return "mapping_parse";
    case ErrorKind::kStrictMapping: return "strict_mapping";
    case ErrorKind::kIndexNotFound: return "index_not_found";
    case ErrorKind::kIndexAlreadyExists: return "index_already_exists";
    case ErrorKind::kInvalidIndexName: return "invalid_index_name";
    case ErrorKind::kIndexUnavailable: return "index_unavailable";
    case ErrorKind::kDocumentMissing: return "document_missing";
    case ErrorKind::kResourceNotFound: return "resource_not_found";
    case ErrorKind::kVersionConflict: return "version_conflict";
    case ErrorKind::kWriteBlocked: return "write_blocked";
    case ErrorKind::kSearchRejected: return "search_rejected";
    case ErrorKind::kScrollMissing: return "scroll_missing";
    case ErrorKind::kTooManyScrolls: return "too_many_scrolls";
    case ErrorKind::kQueueFull: return "queue_full";
    case ErrorKind::kBodyTooLarge: return "body_too_large";
    case ErrorKind::kForbidden: return "forbidden";
    case ErrorKind::kRepositoryInvalid: return "repository_invalid";
    case ErrorKind::kRepositoryMissing: return "repository_missing";
    case ErrorKind::kSnapshotMissing: return "snapshot_missing";
    case ErrorKind::kInvalidSnapshotName: return "invalid_snapshot_name";
    case ErrorKind::kRestoreFailed: return "restore_failed";
    case ErrorKind::kSnapshotBusy: return "snapshot_busy";
    case ErrorKind::kMethodNotAllowed: return "method_not_allowed";
    case ErrorKind::kShardsFailed: return "shards_failed";
    case ErrorKind::kNoMaster: return "no_master";
    case ErrorKind::kRepositoryVerification: return "repository_verification";
  }
  return "unknown";
}

Status::Status(StatusCode code, std::string_view message) {
  assert(code != StatusCode::kOk);
  state_ = std::make_unique<State>(State{code, std::string(message)});
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return state_ ? state_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(StatusCodeName(state_->code));
  out += ": ";
  out += state_->message;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return Status();
  std::string msg(context);
  msg += ": ";
  msg += state_->message;
  Status out(state_->code, msg);
  out.state_->kind = state_->kind;
  return out;
}

Status Status::WithKind(ErrorKind kind) const& {
  Status out = *this;
  if (out.state_) out.state_->kind = kind;
  return out;
}

Status Status::WithKind(ErrorKind kind) && {
  if (state_) state_->kind = kind;
  return std::move(*this);
}

}  // namespace lookalike
