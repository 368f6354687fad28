// PUT /{index}/_settings: Engine::UpdateSettings with arbitrary bodies (nested, flat, prefixed
// or not, nulls, every value type) on a fresh index, then GET _settings (nested, flat, with
// defaults), a search and a write under whatever was accepted. Checks that an accepted update
// is accepted again (the stored settings stay valid) and that a refused one changed nothing.
// The index is deleted after each input.
//
// Input: byte 0 bit 0 = update every index ("_all") instead of naming it, then the JSON body.
#include <cstdint>
#include <cstdio>

#include "fuzz_util.h"
#include "server/es/index_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lookalike::Engine& engine = lookalike::fuzz::SharedEngine();
  if (size < 1) return 0;
  std::string_view target = (data[0] & 0x01) ? "_all" : "sz";
  std::string_view body = lookalike::fuzz::AsText(data + 1, size - 1);
  lookalike::fuzz::CheckOk(lookalike::es::CreateIndexJson(engine, "sz", "").status(), "CreateIndex sz");
  auto before = lookalike::es::GetSettingsJson(engine, "sz");
  lookalike::fuzz::CheckOk(before.status(), "GetSettings before");
  auto updated = lookalike::es::UpdateSettingsJson(engine, target, body);
  auto after = lookalike::es::GetSettingsJson(engine, "sz", /*flat_keys=*/true, /*include_defaults=*/true);
  lookalike::fuzz::CheckOk(after.status(), "GetSettings after");
  if (updated.ok()) {
    lookalike::fuzz::CheckOk(lookalike::es::UpdateSettingsJson(engine, target, body).status(),
                             "the same update a second time");
    lookalike::SearchRequest twenty;
    twenty.size = 20;
    (void)engine.Search("sz", twenty);
    (void)engine.IndexDocument("sz", "1", R"({"a":1,"b":{"c":"x"},"v":[1,2,3,4,5]})",
                               lookalike::OpType::kIndex, lookalike::RefreshPolicy::kFalse);
  } else if (auto now = lookalike::es::GetSettingsJson(engine, "sz"); !now.ok() || *now != *before) {
    std::fprintf(stderr, "a refused settings update changed the index\n");
    __builtin_trap();
  }
  lookalike::fuzz::DeleteAllIndices(engine);
  return 0;
}
