// One HTTP/1.1 connection as a state machine over bytes, with no socket in sight: the epoll
// transport feeds it what it reads and sends what it produces, and unit tests do the same with
// strings (fragmented input, pipelining, 100-continue, limits, truncation).
//
// At most one request per connection is in flight at a time: pipelined requests wait in the
// input buffer and are answered in order. Protocol errors are answered here (Elasticsearch error
// body, then the connection closes); everything else goes to the caller's handler.
//
// Thread safety: none; the transport touches a session only from its event-loop thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "server/http/http_message.h"
#include "server/http/request_parser.h"

namespace lookalike::server {

class HttpSession {
 public:
  explicit HttpSession(ParserLimits limits = {}) : parser_(limits) {}

  /// Bytes received from the peer.
  void OnData(std::string_view data);
  /// The peer closed its sending side.
  void OnEof();

  /// If nothing is in flight and a complete request is buffered, returns it and marks it in
  /// flight; the caller must answer it with OnResponse. Protocol errors (malformed request,
  /// body over the limit, truncated request at EOF) are answered directly and return nullopt.
  std::optional<HttpRequest> NextRequest();

  /// Answers the request in flight. `force_close` adds "connection: close" (server shutdown).
  void OnResponse(const HttpResponse& response, bool force_close = false);

  bool in_flight() const { return in_flight_; }
  /// Bytes waiting to be sent.
  std::string_view pending_output() const {
    return std::string_view(output_).substr(output_pos_);
  }
  void ConsumeOutput(size_t n);
  /// False while a request is in flight and plenty of unparsed input is already buffered
  /// (back-pressure for a client that pipelines without reading).
  bool wants_input() const;
  /// No more requests will be taken; close once pending output is sent.
  bool closing() const { return closing_; }
  /// Closing because of a protocol error while the peer may still be sending: the transport
  /// should half-close and drain its input so the peer can read the error response.
  bool linger() const { return linger_; }
  /// Nothing in flight, nothing buffered, no partial request: safe to close when idle.
  bool idle() const;
  /// The line and headers of the request being received are complete (its body may not be).
  bool headers_done() const { return parser_.headers_done(); }
  /// Part of a request's line/headers has arrived but not all of it (for the header deadline).
  bool reading_head() const;
  /// Body bytes of the request in flight still charged to the budget (0 without a budget).
  size_t charged_body_bytes() const { return in_flight_body_.bytes(); }
  /// Closing and everything sent.
  bool done() const { return closing_ && !in_flight_ && pending_output().empty(); }

 private:
  void FailWith(int status, std::string_view type, std::string_view reason);

  RequestParser parser_;
  BodyReservation in_flight_body_;  // released when the request in flight is answered
  std::string input_;
  size_t input_pos_ = 0;
  std::string output_;
  size_t output_pos_ = 0;
  bool in_flight_ = false;
  bool in_flight_head_ = false;
  bool in_flight_keep_alive_ = true;
  bool sent_continue_ = false;
  bool eof_ = false;
  bool closing_ = false;
  bool linger_ = false;
};

}  // namespace lookalike::server
