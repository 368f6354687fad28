// The HTTP/1.1 transport without sockets: RequestParser (request line, headers, Content-Length
// and chunked bodies, trailers, Expect: 100-continue, gzip/deflate inflation with its output
// bound) and the HttpSession state machine around it (pipelining, back-pressure, protocol
// errors, EOF in the middle of a request).
//
// Input: byte 0 = feed step (1..64 bytes per OnData call, so splits land everywhere; 0 = all
// at once), then the raw bytes a client would send on one connection.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "server/http/http_session.h"
#include "server/http/request_parser.h"

namespace {

using lookalike::server::HttpRequest;
using lookalike::server::HttpResponse;
using lookalike::server::HttpSession;
using lookalike::server::ParserLimits;
using lookalike::server::RequestParser;

// Small limits so that the 413/431 paths and the inflation bound are reachable by small inputs.
ParserLimits FuzzLimits() {
  ParserLimits limits;
  limits.max_body_bytes = 64 << 10;
  limits.max_header_bytes = 4 << 10;
  return limits;
}

HttpResponse Answer(const HttpRequest& request) {
  HttpResponse response;
  response.content_type = "text/plain";
  response.body = request.method + " " + request.path + " " + std::to_string(request.body.size());
  for (const auto& [name, value] : request.query) response.body += name + "=" + value;
  response.close = request.Header("x-close") == "1";
  return response;
}

void DriveParser(std::string_view input) {
  RequestParser parser(FuzzLimits());
  while (!input.empty()) {
    size_t used = parser.Feed(input);
    input.remove_prefix(used);
    if (parser.failed()) {
      (void)parser.error_status();
      return;
    }
    if (!parser.complete()) return;  // everything consumed, request incomplete
    HttpRequest request = parser.TakeRequest();
    (void)request.Param("size");
    (void)request.HasHeader("content-type");
    if (used == 0) return;
  }
}

void DriveSession(std::string_view input, size_t step) {
  HttpSession session(FuzzLimits());
  auto pump = [&session] {
    while (auto request = session.NextRequest()) session.OnResponse(Answer(*request));
    session.ConsumeOutput(session.pending_output().size());
  };
  while (!input.empty() && !session.done()) {
    size_t n = step == 0 ? input.size() : std::min(step, input.size());
    session.OnData(input.substr(0, n));  // even when !wants_input(): a careless transport
    input.remove_prefix(n);
    pump();
  }
  session.OnEof();
  pump();
  (void)session.idle();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t step = data[0] % 65;
  std::string_view input = lookalike::fuzz::AsText(data + 1, size - 1);
  DriveParser(input);
  DriveSession(input, step);
  return 0;
}
