// Status and Result<T>: errors as values for the whole engine.
//
// A Status is either OK (no allocation: a null state pointer, as in LevelDB) or carries a code
// from a small closed set plus a human-readable message that names the problem. Result<T> holds
// either a value or a non-OK Status. Both are [[nodiscard]] so an ignored error is a warning.
//
// Thread safety: a Status/Result is a value; distinct objects may be used from distinct threads.
#pragma once

#include <cassert>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace lookalike {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,    // the caller's input is wrong (bad vector, bad parameter, bad JSON)
  kNotFound = 2,           // index or document does not exist
  kAlreadyExists = 3,      // index or document exists and the operation forbids that
  kCorruption = 4,         // stored data failed a magic/version/checksum/length check
  kIOError = 5,            // the operating system refused a file or socket operation
  kResourceExhausted = 6,  // a configured limit was hit (body size, pixels, memory)
  kUnavailable = 7,        // shutting down, or not ready yet
  kConflict = 8,           // version conflict (optimistic concurrency)
  kUnsupported = 9,        // valid request for a feature this build does not offer
  kUnauthenticated = 10,   // no credentials, or credentials that do not prove who the caller is
  kPermissionDenied = 11,  // the caller is known but its roles do not grant the action
};

/// Stable lower-case name of a code ("invalid_argument", "corruption", ...).
std::string_view StatusCodeName(StatusCode code);

/// A finer classification of an error than its StatusCode, for callers (the REST layer, the CLI)
/// that must tell, say, a missing index from a missing document. The engine speaks only these;
/// src/server/error_mapping.cc is the one place that turns (code, kind) into an HTTP status and
/// the Elasticsearch error `type` clients see. A closed set: a new kind needs a row there (a
/// unit test walks every value up to kErrorKindCount).
enum class ErrorKind : unsigned char {
  kNone = 0,             // no finer kind: the StatusCode alone classifies the error
  kInvalidValue,         // a parameter or setting value that is out of range or not allowed
  kMalformedRequest,     // a request body or query clause that does not parse
  kMalformedInput,       // input of the wrong shape (HTTP framing, multipart, a body field)
  kMalformedContent,     // a JSON document of the wrong shape (security API bodies)
  kRequestValidation,    // a request that parses but is incomplete or self-contradictory
  kMappingParse,         // a mapping definition, or a document that does not fit its mapping
  kStrictMapping,        // a document adds a field to a mapping whose dynamic is "strict"
  kIndexNotFound,        // the named index does not exist
  kIndexAlreadyExists,   // the index to create (or restore into) exists already
  kInvalidIndexName,     // the name breaks the index name rules
  kIndexUnavailable,     // the index exists but cannot serve (its vectors failed to load)
  kDocumentMissing,      // an update names a document that does not exist
  kResourceNotFound,     // another named resource (user, image file) does not exist
  kVersionConflict,      // a write's condition (op_type create, if_seq_no) does not hold
  kWriteBlocked,         // writes are blocked (disk flood stage, read_only_allow_delete)
  kSearchRejected,       // a search request the engine refuses to run (too many clauses)
  kScrollMissing,        // a scroll id that names no live scroll
  kTooManyScrolls,       // the open-scroll limit is reached
  kQueueFull,            // a worker lane's queue is full; retry later
  kBodyTooLarge,         // an input (body, image) is larger than a configured limit
  kForbidden,            // refused for a security reason (e.g. a path outside the roots)
  kRepositoryInvalid,    // snapshot repository settings are bad
  kRepositoryMissing,    // the named snapshot repository is not registered
  kSnapshotMissing,      // the named snapshot does not exist
  kInvalidSnapshotName,  // the name breaks the snapshot name rules
  kRestoreFailed,        // a restore cannot proceed (e.g. the target index is open)
  kSnapshotBusy,         // another snapshot operation holds the repository
  kMethodNotAllowed,     // the resource exists but does not answer this request method
  kShardsFailed,         // a cluster search or count: no shard answered, or some did not and
                         // partial results were refused (allow_partial_search_results=false)
  kNoMaster,             // a cluster node cannot reach its metadata store (etcd): writes and
                         // metadata changes are refused until it is back; retry later
  kRepositoryVerification,  // a snapshot repository cannot be written, read back or cleaned
};
/// One past the last ErrorKind value: lets tests and tables walk every kind.
inline constexpr int kErrorKindCount = static_cast<int>(ErrorKind::kRepositoryVerification) + 1;

/// Stable lower-case name of a kind ("none", "index_not_found", ...), for logs and tests.
std::string_view ErrorKindName(ErrorKind kind);

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;  // OK
  Status(StatusCode code, std::string_view message);

  Status(const Status& other) : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string_view msg) { return {StatusCode::kInvalidArgument, msg}; }
  static Status NotFound(std::string_view msg) { return {StatusCode::kNotFound, msg}; }
  static Status AlreadyExists(std::string_view msg) { return {StatusCode::kAlreadyExists, msg}; }
  static Status Corruption(std::string_view msg) { return {StatusCode::kCorruption, msg}; }
  static Status IOError(std::string_view msg) { return {StatusCode::kIOError, msg}; }
  static Status ResourceExhausted(std::string_view msg) {
    return {StatusCode::kResourceExhausted, msg};
  }
  static Status Unavailable(std::string_view msg) { return {StatusCode::kUnavailable, msg}; }
  static Status Conflict(std::string_view msg) { return {StatusCode::kConflict, msg}; }
  static Status Unsupported(std::string_view msg) { return {StatusCode::kUnsupported, msg}; }
  static Status Unauthenticated(std::string_view msg) {
    return {StatusCode::kUnauthenticated, msg};
  }
  static Status PermissionDenied(std::string_view msg) {
    return {StatusCode::kPermissionDenied, msg};
  }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  /// The message alone ("" when OK).
  const std::string& message() const;
  /// "invalid_argument: dimension 3 does not match the index dimension 128" or "ok".
  std::string ToString() const;

  bool IsInvalidArgument() const { return code() == StatusCode::kInvalidArgument; }
  bool IsNotFound() const { return code() == StatusCode::kNotFound; }
  bool IsCorruption() const { return code() == StatusCode::kCorruption; }

  /// Returns a copy whose message is prefixed with `context + ": "`.
  Status WithContext(std::string_view context) const;

  /// Returns a copy carrying the finer `kind` (see ErrorKind); an OK status stays OK. The code
  /// stays the primary classification.
  Status WithKind(ErrorKind kind) const&;
  Status WithKind(ErrorKind kind) &&;  // reuses the state of a temporary: no second allocation
  /// The finer kind; ErrorKind::kNone when unset or OK.
  ErrorKind kind() const { return state_ ? state_->kind : ErrorKind::kNone; }

 private:
  struct State {
    StatusCode code;
    std::string message;
    ErrorKind kind = ErrorKind::kNone;
  };
  std::unique_ptr<State> state_;
};

/// Either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result constructed from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace lookalike

/// Propagates a non-OK Status out of the enclosing function.
#define LOOKALIKE_RETURN_IF_ERROR(expr)              \
  do {                                               \
    ::lookalike::Status _st = (expr);                \
    if (!_st.ok()) return _st;                       \
  } while (0)

#define LOOKALIKE_CONCAT_INNER_(a, b) a##b
#define LOOKALIKE_CONCAT_(a, b) LOOKALIKE_CONCAT_INNER_(a, b)
/// `LOOKALIKE_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result or returns its Status.
#define LOOKALIKE_ASSIGN_OR_RETURN(decl, expr)                                   \
  auto LOOKALIKE_CONCAT_(_res_, __LINE__) = (expr);                             \
  if (!LOOKALIKE_CONCAT_(_res_, __LINE__).ok())                                 \
    return LOOKALIKE_CONCAT_(_res_, __LINE__).status();                         \
  decl = std::move(LOOKALIKE_CONCAT_(_res_, __LINE__)).value()
