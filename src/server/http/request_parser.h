// Incremental HTTP/1.1 request parser: a pure function over bytes (no sockets), so the transport,
// its unit tests and fuzzers all drive the same code.
//
// Feed() any split of the byte stream; the parser consumes up to the end of one request and
// stops, so pipelined requests are taken one at a time (the caller keeps the unconsumed tail).
// Supports Content-Length and chunked bodies, Expect: 100-continue, and gzip/deflate
// Content-Encoding (inflated on completion, bounded by the body limit).
//
// Limits are enforced as soon as they can be known: a Content-Length above the body limit
// fails right after the headers (status 413) without reading the body; chunked bodies fail as
// soon as the running total passes it; inflated bodies fail when the output passes it.
//
// Thread safety: none; one parser per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/http/body_budget.h"
#include "server/http/http_message.h"

namespace lookalike::server {

struct ParserLimits {
  size_t max_body_bytes = size_t{100} << 20;  // after de-chunking and after inflation
  size_t max_header_bytes = size_t{64} << 10; // request line + headers
  // Shared in-flight body budget (see body_budget.h); nullptr = bodies are not counted. Over
  // it, the request fails with 429 circuit_breaking_exception before its body is buffered.
  BodyBudget* budget = nullptr;
};

class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {})
      : limits_(limits), reservation_(limits.budget) {}

  /// Consumes a prefix of `data` and returns how many bytes it took. Returns less than
  /// data.size() only once the request is complete or the parser failed.
  size_t Feed(std::string_view data);

  bool complete() const { return state_ == State::kComplete; }
  bool failed() const { return state_ == State::kError; }
  /// True once the request line and headers are parsed (body may still be pending).
  bool headers_done() const { return state_ != State::kHead; }
  /// No byte of a next request has been taken yet.
  bool idle() const { return state_ == State::kHead && line_buf_.empty(); }
  /// The client sent "Expect: 100-continue" and the body has not started yet.
  bool expects_continue() const { return expect_continue_; }

  /// On failure: the HTTP status to answer with (400, 413, 415, 429, 431, 501, 505), an
  /// Elasticsearch-style error type and a human-readable reason.
  int error_status() const { return error_status_; }
  const char* error_type() const { return error_type_; }
  const std::string& error_reason() const { return error_reason_; }

  /// The parsed request (valid when complete()). Leaves the parser ready for the next one.
  /// Take the body's budget charge first (TakeReservation), or it is released here.
  HttpRequest TakeRequest();
  /// What the request in progress has charged to the body budget; the caller keeps it until
  /// the request is answered.
  BodyReservation TakeReservation() { return std::move(reservation_); }
  /// Forgets everything (also clears an error).
  void Reset();

 private:
  enum class State { kHead, kBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailers, kComplete,
                     kError };

  size_t FeedHead(std::string_view data);
  bool ParseHead(std::string_view head);
  bool ParseRequestLine(std::string_view line);
  bool ParseHeaderLine(std::string_view line);
  bool StartBody();
  bool ParseChunkSizeLine(std::string_view line);
  void Finish();
  bool Fail(int status, const char* type, std::string reason);
  bool Charge(size_t bytes);

  ParserLimits limits_;
  BodyReservation reservation_;  // body bytes of the request in progress charged to the budget
  State state_ = State::kHead;
  HttpRequest req_;
  std::string line_buf_;      // head bytes, or a partial chunk-size/trailer line
  uint64_t remaining_ = 0;    // body bytes (Content-Length) or chunk bytes still expected
  bool expect_continue_ = false;
  int error_status_ = 0;
  const char* error_type_ = "";
  std::string error_reason_;
};

}  // namespace lookalike::server
