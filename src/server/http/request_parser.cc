#include "server/http/request_parser.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "server/http/gzip.h"

namespace lookalike::server {

namespace {

constexpr size_t kMaxChunkLine = 4096;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// True when the comma-separated header value contains `token` (case-insensitive).
bool HasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view part = Trim(value.substr(0, comma));
    if (Lower(part) == token) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

bool RequestParser::Fail(int status, const char* type, std::string reason) {
  reservation_.Release();
  state_ = State::kError;
  error_status_ = status;
  error_type_ = type;
  error_reason_ = std::move(reason);
  return false;
}

bool RequestParser::Charge(size_t bytes) {
  if (reservation_.Grow(bytes)) return true;
  return Fail(429, "circuit_breaking_exception",
              BodyBudgetExceededReason(*limits_.budget, bytes));
}

void RequestParser::Reset() {
  reservation_.Release();
  state_ = State::kHead;
  req_ = HttpRequest();
  line_buf_.clear();
  remaining_ = 0;
  expect_continue_ = false;
  error_status_ = 0;
  error_type_ = "";
  error_reason_.clear();
}

HttpRequest RequestParser::TakeRequest() {
  HttpRequest out = std::move(req_);
  Reset();
  return out;
}

size_t RequestParser::Feed(std::string_view data) {
  size_t used = 0;
  while (used < data.size()) {
    std::string_view rest = data.substr(used);
    switch (state_) {
      case State::kComplete:
      case State::kError:
        return used;
      case State::kHead:
        used += FeedHead(rest);
        break;
      case State::kBody: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
        req_.body.append(rest.data(), take);
        remaining_ -= take;
        used += take;
        expect_continue_ = false;
        if (remaining_ == 0) Finish();
        break;
      }
      case State::kChunkData: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
        req_.body.append(rest.data(), take);
        remaining_ -= take;
        used += take;
        if (remaining_ == 0) state_ = State::kChunkDataEnd;
        break;
      }
      case State::kChunkSize:
      case State::kChunkDataEnd:
      case State::kTrailers: {
        expect_continue_ = false;
        size_t nl = rest.find('\n');
        size_t take = nl == std::string_view::npos ? rest.size() : nl + 1;
        line_buf_.append(rest.data(), take);
        used += take;
        if (line_buf_.size() > kMaxChunkLine) {
          Fail(400, "parse_exception", "chunk header line too long");
          return used;
        }
        if (nl == std::string_view::npos) break;
        std::string_view line(line_buf_);
        line.remove_suffix(1);                                    // '\n'
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (state_ == State::kChunkDataEnd) {
          if (!line.empty()) {
            Fail(400, "parse_exception", "chunk data not followed by CRLF");
            return used;
          }
          state_ = State::kChunkSize;
        } else if (state_ == State::kChunkSize) {
          if (!ParseChunkSizeLine(line)) return used;
        } else if (line.empty()) {  // end of trailers
          Finish();
        }
        line_buf_.clear();
        break;
      }
    }
  }
  // A zero-length body (Content-Length: 0) completes with the headers; nothing more to read.
  return used;
}

size_t RequestParser::FeedHead(std::string_view data) {
  // Look for the blank line, resuming a few bytes back so a CRLFCRLF split across calls is found.
  size_t old = line_buf_.size();
  size_t scan_from = old >= 3 ? old - 3 : 0;
  size_t room = limits_.max_header_bytes + 4 > old ? limits_.max_header_bytes + 4 - old : 0;
  line_buf_.append(data.data(), std::min(data.size(), room));
  size_t end = std::string::npos;
  size_t sep_len = 0;
  for (size_t i = scan_from; i < line_buf_.size(); ++i) {
    if (line_buf_[i] != '\n') continue;
    if (i + 1 < line_buf_.size() && line_buf_[i + 1] == '\n') {
      end = i; sep_len = 2; break;
    }
    if (i + 2 < line_buf_.size() && line_buf_[i + 1] == '\r' && line_buf_[i + 2] == '\n') {
      end = i; sep_len = 3; break;
    }
  }
  if (end == std::string::npos) {
    if (line_buf_.size() > limits_.max_header_bytes) {
      Fail(431, "too_long_http_header_exception", "request line and headers exceed the limit");
    }
    return line_buf_.size() - old;
  }
  // Leading empty lines before a request line are allowed (RFC 9112 §2.2).
  size_t head_end = end + sep_len;  // index just past the blank line in line_buf_
  size_t consumed = head_end - old;
  std::string head = line_buf_.substr(0, end);
  line_buf_.clear();
  if (head_end > limits_.max_header_bytes + 3) {
    Fail(431, "too_long_http_header_exception", "request line and headers exceed the limit");
    return consumed;
  }
  if (ParseHead(head)) StartBody();
  return consumed;
}

bool RequestParser::ParseHead(std::string_view head) {
  while (!head.empty() && (head.front() == '\r' || head.front() == '\n')) head.remove_prefix(1);
  bool first = true;
  while (!head.empty() || first) {
    size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    head = nl == std::string_view::npos ? std::string_view() : head.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first) {
      if (!ParseRequestLine(line)) return false;
      first = false;
    } else if (!ParseHeaderLine(line)) {
      return false;
    }
  }
  return true;
}

bool RequestParser::ParseRequestLine(std::string_view line) {
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Fail(400, "parse_exception", "malformed HTTP request line");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), IsTokenChar)) {
    return Fail(400, "parse_exception", "malformed HTTP method");
  }
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1.") {
    if (version.substr(0, 5) == "HTTP/") {
      return Fail(505, "parse_exception", "only HTTP/1.0 and HTTP/1.1 are supported");
    }
    return Fail(400, "parse_exception", "malformed HTTP version");
  }
  if (version[7] != '0' && version[7] != '1') {
    return Fail(505, "parse_exception", "only HTTP/1.0 and HTTP/1.1 are supported");
  }
  req_.version_minor = version[7] - '0';
  req_.keep_alive = req_.version_minor == 1;
  // Absolute form (proxies): keep only the path and query.
  if (target.substr(0, 7) == "http://" || target.substr(0, 8) == "https://") {
    size_t slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (target.empty() || (target.front() != '/' && target != "*")) {
    return Fail(400, "parse_exception", "malformed request target");
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return Fail(400, "parse_exception", "control character in request target");
    }
  }
  req_.method.assign(method);
  req_.target.assign(target);
  size_t q = target.find('?');
  req_.path.assign(target.substr(0, q));
  if (q != std::string_view::npos) {
    std::string_view qs = target.substr(q + 1);
    size_t hash = qs.find('#');
    req_.query = ParseQueryString(qs.substr(0, hash));
  }
  return true;
}

bool RequestParser::ParseHeaderLine(std::string_view line) {
  if (line.empty()) return true;
  if (line.front() == ' ' || line.front() == '\t') {
    return Fail(400, "parse_exception", "obsolete header line folding is not accepted");
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Fail(400, "parse_exception", "malformed header line");
  }
  std::string_view name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), IsTokenChar)) {
    return Fail(400, "parse_exception", "malformed header name");
  }
  req_.headers.emplace_back(Lower(name), std::string(Trim(line.substr(colon + 1))));
  return true;
}

bool RequestParser::StartBody() {
  std::string_view connection = req_.Header("connection");
  if (HasToken(connection, "close")) req_.keep_alive = false;
  if (HasToken(connection, "keep-alive")) req_.keep_alive = true;

  bool chunked = false;
  bool has_te = false;
  bool has_length = false;
  uint64_t length = 0;
  for (const auto& [name, value] : req_.headers) {
    if (name == "transfer-encoding") {
      has_te = true;
      std::string v = Lower(Trim(value));
      // Only "chunked" (possibly after identity) is supported; it must be the final coding.
      if (v != "chunked" && v != "identity, chunked" && v != "identity,chunked") {
        return Fail(501, "illegal_argument_exception",
                    "unsupported Transfer-Encoding: " + std::string(value));
      }
      chunked = true;
    } else if (name == "content-length") {
      if (value.empty() || value.size() > 19 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return Fail(400, "parse_exception", "malformed Content-Length");
      }
      uint64_t v = std::stoull(value);
      if (has_length && v != length) {
        return Fail(400, "parse_exception", "conflicting Content-Length headers");
      }
      has_length = true;
      length = v;
    }
  }
  if (has_te && has_length) {
    // Both framings at once is how requests get smuggled; refuse rather than guess.
    return Fail(400, "parse_exception", "both Transfer-Encoding and Content-Length present");
  }
  expect_continue_ = HasToken(req_.Header("expect"), "100-continue");
  if (chunked) {
    state_ = State::kChunkSize;
    return true;
  }
  if (length > limits_.max_body_bytes) {
    return Fail(413, "content_too_long_exception",
                "request body of " + std::to_string(length) + " bytes exceeds the limit of " +
                    std::to_string(limits_.max_body_bytes) + " bytes");
  }
  if (length == 0) {
    expect_continue_ = false;
    Finish();
    return true;
  }
  // The declared size is charged to the in-flight budget and reserved once, so the body never
  // grows by doubling and copying (which cost about twice the body in memory). Reserved pages
  // a client never sends are never touched, so they cost address space, not memory.
  if (!Charge(static_cast<size_t>(length))) return false;
  req_.body.reserve(static_cast<size_t>(length));
  remaining_ = length;
  state_ = State::kBody;
  return true;
}

bool RequestParser::ParseChunkSizeLine(std::string_view line) {
  std::string_view size_part = Trim(line.substr(0, line.find(';')));
  if (size_part.empty() || size_part.size() > 15) {
    return Fail(400, "parse_exception", "malformed chunk size");
  }
  uint64_t size = 0;
  for (char c : size_part) {
    int v = std::isxdigit(static_cast<unsigned char>(c))
                ? (std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                                                               : (std::tolower(c) - 'a' + 10))
                : -1;
    if (v < 0) return Fail(400, "parse_exception", "malformed chunk size");
    size = size * 16 + static_cast<uint64_t>(v);
  }
  if (size == 0) {
    state_ = State::kTrailers;
    return true;
  }
  if (req_.body.size() + size > limits_.max_body_bytes) {
    return Fail(413, "content_too_long_exception",
                "chunked request body exceeds the limit of " +
                    std::to_string(limits_.max_body_bytes) + " bytes");
  }
  // Chunked bodies grow geometrically (not by exact reserve per chunk, which would copy the
  // whole body every time); the budget is charged the capacity, which is what memory holds.
  size_t need = req_.body.size() + static_cast<size_t>(size);
  if (need > req_.body.capacity()) {
    size_t capacity = std::max(need, std::min(req_.body.capacity() * 2, limits_.max_body_bytes));
    if (capacity > reservation_.bytes() && !Charge(capacity - reservation_.bytes())) return false;
    req_.body.reserve(capacity);
  }
  remaining_ = size;
  state_ = State::kChunkData;
  return true;
}

void RequestParser::Finish() {
  std::string encoding = Lower(Trim(req_.Header("content-encoding")));
  if (!encoding.empty() && encoding != "identity" && !req_.body.empty()) {
    bool gzip = encoding == "gzip" || encoding == "x-gzip";
    if (!gzip && encoding != "deflate") {
      Fail(415, "illegal_argument_exception", "unsupported Content-Encoding: " + encoding);
      return;
    }
    auto inflated = Inflate(req_.body, limits_.max_body_bytes, !gzip);
    if (!inflated.ok()) {
      if (inflated.status().code() == StatusCode::kResourceExhausted) {
        Fail(413, "content_too_long_exception",
             "decompressed request body exceeds the limit of " +
                 std::to_string(limits_.max_body_bytes) + " bytes");
      } else {
        Fail(400, "parse_exception", inflated.status().message());
      }
      return;
    }
    if (!Charge(inflated->size())) return;
    req_.body = std::move(inflated).value();
  }
  state_ = State::kComplete;
}

}  // namespace lookalike::server
