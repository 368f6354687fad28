#include "server/http/http_session.h"

#include "server/error_mapping.h"

namespace lookalike::server {

namespace {
constexpr size_t kMaxBufferedWhileBusy = size_t{4} << 20;
// An emptied input buffer larger than this is given back rather than kept for the next request.
constexpr size_t kShrinkInputAbove = size_t{1} << 20;
}

void HttpSession::OnData(std::string_view data) {
  if (closing_) return;  // draining after an error: the bytes are discarded
  if (!in_flight_ && input_pos_ == input_.size() && !parser_.complete() && !parser_.failed()) {
    // Nothing buffered: the parser takes the bytes straight from the caller's read buffer, so a
    // body is copied once (into the request), not twice. Only what belongs to a following
    // (pipelined) request is kept below.
    input_.clear();
    input_pos_ = 0;
    data.remove_prefix(parser_.Feed(data));
    if (input_.capacity() > kShrinkInputAbove) std::string().swap(input_);
  }
  if (data.empty()) return;
  if (input_pos_ > 0 && input_pos_ >= input_.size() / 2) {
    input_.erase(0, input_pos_);
    input_pos_ = 0;
  }
  input_.append(data);
}

bool HttpSession::reading_head() const {
  return !in_flight_ && !closing_ && !parser_.headers_done() &&
         (!parser_.idle() || input_pos_ < input_.size());
}

void HttpSession::OnEof() { eof_ = true; }

bool HttpSession::wants_input() const {
  if (closing_) return true;  // keep reading to drain
  return !in_flight_ || input_.size() - input_pos_ < kMaxBufferedWhileBusy;
}

bool HttpSession::idle() const {
  return !in_flight_ && pending_output().empty() && input_.size() == input_pos_ &&
         parser_.idle();
}

void HttpSession::ConsumeOutput(size_t n) {
  output_pos_ += n;
  if (output_pos_ == output_.size()) {
    output_.clear();
    output_pos_ = 0;
  }
}

void HttpSession::FailWith(int status, std::string_view type, std::string_view reason) {
  HttpResponse response;
  SetErrorResponse(status, type, reason, &response);
  response.close = true;
  SerializeResponse(response, /*send_body=*/true, /*keep_alive=*/false, &output_);
  closing_ = true;
  linger_ = !eof_;
  input_.clear();
  input_pos_ = 0;
}

std::optional<HttpRequest> HttpSession::NextRequest() {
  if (in_flight_ || closing_) return std::nullopt;
  size_t used = parser_.Feed(std::string_view(input_).substr(input_pos_));
  input_pos_ += used;
  if (parser_.failed()) {
    FailWith(parser_.error_status(), parser_.error_type(), parser_.error_reason());
    return std::nullopt;
  }
  if (parser_.complete()) {
    in_flight_body_ = parser_.TakeReservation();
    HttpRequest request = parser_.TakeRequest();
    in_flight_ = true;
    in_flight_head_ = request.method == "HEAD";
    in_flight_keep_alive_ = request.keep_alive;
    sent_continue_ = false;
    return request;
  }
  if (parser_.expects_continue() && !sent_continue_) {
    output_.append("HTTP/1.1 100 Continue\r\n\r\n");
    sent_continue_ = true;
  }
  if (eof_) {
    if (parser_.headers_done() || input_pos_ < input_.size()) {
      FailWith(400, "parse_exception", "request truncated: connection closed before its end");
    } else {
      closing_ = true;  // clean close between requests
    }
  }
  return std::nullopt;
}

void HttpSession::OnResponse(const HttpResponse& response, bool force_close) {
  bool keep_alive = in_flight_keep_alive_ && !response.close && !force_close;
  SerializeResponse(response, !in_flight_head_, keep_alive, &output_);
  in_flight_ = false;
  in_flight_body_.Release();
  if (!keep_alive) closing_ = true;
}

}  // namespace lookalike::server
