// The query DSL and search execution: Engine::Search and Engine::Count with arbitrary bodies on
// one engine holding the fixture index "fz" (vector fields under HNSW and flat, keyword, text,
// numbers, dates, booleans, an object). The engine is opened once and reused across inputs.
//
// Input: byte 0 picks the call and URL-style options, the rest is the JSON body.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "server/es/search_render.h"

namespace {

lookalike::SearchOptions OptionsFrom(uint8_t mode) {
  lookalike::SearchOptions options;
  if (mode & 0x02) options.size = mode >> 4;
  if (mode & 0x04) options.from = 1;
  if (mode & 0x08) options.source = "category,title";
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static lookalike::Engine& engine = [] () -> lookalike::Engine& {
    lookalike::Engine& e = lookalike::fuzz::SharedEngine();
    lookalike::fuzz::CreateFixtureIndex(e);
    return e;
  }();
  if (size < 1) return 0;
  uint8_t mode = data[0];
  std::string_view body = lookalike::fuzz::AsText(data + 1, size - 1);
  const char* index = (mode & 0x01) ? "fz*" : "fz";
  if ((mode & 0xF0) == 0xF0) {
    (void)lookalike::es::CountJson(engine, index, body, OptionsFrom(mode & 0x0F));
  } else {
    (void)lookalike::es::SearchJson(engine, index, body, OptionsFrom(mode));
  }
  return 0;
}
