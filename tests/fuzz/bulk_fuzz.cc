// _bulk NDJSON: the codec (server/es/bulk_codec.h: parse, Engine::Write, render) with arbitrary action/source lines, default index "fz" (the
// fixture mapping: vectors, keyword, text, numbers, dates). After an input that changed the
// indices, counts or mappings, everything is deleted and the fixture re-created, so inputs start
// from the same state and the engine does not grow across a long run.
//
// Input: byte 0 picks the refresh policy, the rest is the NDJSON body.
#include <cstdint>

#include "fuzz_util.h"
#include "server/es/bulk_codec.h"
#include "server/es/search_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lookalike::Engine& engine = lookalike::fuzz::SharedEngine();
  if (size < 1) return 0;
  static const bool fixture_ready = [&engine] {
    lookalike::fuzz::CreateFixtureIndex(engine);
    return true;
  }();
  (void)fixture_ready;
  lookalike::RefreshPolicy refresh = static_cast<lookalike::RefreshPolicy>(data[0] % 3);
  auto result =
      lookalike::es::Bulk(engine, "fz", lookalike::fuzz::AsText(data + 1, size - 1), refresh);
  // A search afterwards reads what the bulk wrote, through the vector index when refreshed.
  if (result.ok() && refresh != lookalike::RefreshPolicy::kFalse) {
    (void)lookalike::es::SearchJson(engine, "fz", R"({"query":{"knn":{"vec":{"vector":[1,1,1],"k":3}}}})");
  }
  lookalike::fuzz::RestoreFixture(engine);
  return 0;
}
