// The whole REST API as a function of bytes: raw HTTP/1.1 from one connection goes through the
// HttpSession (parser, pipelining) into RestServer::Handle (router, every handler, error
// mapping, the Engine behind it) and back out as serialized responses. No sockets.
//
// The engine holds the fixture index "fz". When an input changed which indices exist or how
// many documents they hold or any mapping, everything is deleted and the fixture re-created, so inputs stay
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

namespace {

std::string IndexFingerprint(const lookalike::Engine& engine) {
  std::string out;
  for (const lookalike::IndexInfo& info : engine.ListIndices()) {
    out += info.name + ":" + std::to_string(info.docs_count) + ":" +
           std::to_string(info.docs_deleted) + ";";
  }
  // Mapping changes (PUT _mapping) also count as state another input could trip over.
  auto mapping = engine.GetMapping("");
  if (mapping.ok()) out += mapping.value();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lookalike;
  static Engine& engine = fuzz::SharedEngine();
  static const std::string fixture = [] {
    fuzz::CreateFixtureIndex(engine);
    return IndexFingerprint(engine);
  }();
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
  if (IndexFingerprint(engine) != fixture) {
    fuzz::DeleteAllIndices(engine);
    fuzz::CreateFixtureIndex(engine);
  }
  return 0;
}
