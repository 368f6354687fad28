// The search codec and search execution: the _search / _count body and URL parameters parsed by
// the codec (server/es/search_codec.h: query DSL, knn sections, sort, search_after, _source,
// aggregations, ?q=) into typed requests, then Engine::Search / Engine::Count on one engine
// holding the fixture index "fz" (vector fields under HNSW and flat, keyword, text, numbers,
// dates, booleans, an object). The engine is opened once and reused across inputs.
//
// Input: byte 0 picks the call and URL parameters, the rest is the JSON body.
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "server/es/search_codec.h"

namespace {

lookalike::es::UrlParams ParamsFrom(uint8_t mode) {
  lookalike::es::UrlParams params;
  if (mode & 0x02) params.emplace_back("size", std::to_string(mode >> 4));
  if (mode & 0x04) params.emplace_back("from", "1");
  if (mode & 0x08) params.emplace_back("_source", "category,title");
  if ((mode & 0x0E) == 0x0E) params.emplace_back("q", "category:a");
  if ((mode & 0x0A) == 0x0A) params.emplace_back("sort", "count:desc,_doc");
  return params;
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
    (void)lookalike::es::CountJson(engine, index, body, ParamsFrom(mode & 0x0F));
  } else {
    (void)lookalike::es::SearchJson(engine, index, body, ParamsFrom(mode));
  }
  return 0;
}
