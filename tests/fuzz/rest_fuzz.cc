// The whole REST API as a function of bytes: raw HTTP/1.1 from one connection goes through the
// HttpSession (parser, pipelining) into RestServer::Handle (router, every handler, error
// mapping, the Engine behind it) and back out as serialized responses. No sockets.
//
// The engine holds the fixture index "fz", restored after an input that changed which indices
// exist, their document counts or a mapping (fuzz_util.h RestoreFixture), so inputs stay
// independent without paying for a reset on every read-only request.
//
// Input: the raw bytes a client would send (usually several pipelined requests).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "server/http/http_session.h"
#include "server/rest_server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lookalike;
  static Engine& engine = fuzz::SharedEngine();
  static const bool fixture_ready = [] {
    fuzz::CreateFixtureIndex(engine);
    return true;
  }();
  (void)fixture_ready;
  static server::RestServer rest(&engine, server::RestServerOptions{});

  server::ParserLimits limits;
  limits.max_body_bytes = 1 << 20;
  server::HttpSession session(limits);
  session.OnData(fuzz::AsText(data, size));
  session.OnEof();
  while (auto request = session.NextRequest()) {
    server::HttpResponse response;
    rest.Handle(*request, &response);
    session.OnResponse(response);
    session.ConsumeOutput(session.pending_output().size());
  }
  fuzz::RestoreFixture(engine);
  return 0;
}
