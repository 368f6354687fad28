// Index creation and mappings: Engine::CreateIndex with arbitrary bodies (settings, mappings,
// knn methods, encoders, sub-fields), then PutMapping with the same body, a document written
// through whatever mapping was accepted, and GetIndex/GetMapping rendering it. The index is
// deleted after each input.
//
// Input: byte 0 picks the steps, the rest is the JSON body.
#include <cstdint>

#include "fuzz_util.h"
#include "server/es/search_codec.h"
#include "server/es/index_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lookalike::Engine& engine = lookalike::fuzz::SharedEngine();
  if (size < 1) return 0;
  uint8_t mode = data[0];
  std::string_view body = lookalike::fuzz::AsText(data + 1, size - 1);
  bool created = false;
  if (mode & 0x01) {
    // PutMapping on an index created with an empty body: the body is a {"properties":...}.
    lookalike::fuzz::CheckOk(lookalike::es::CreateIndexJson(engine, "mz", "").status(), "CreateIndex mz");
    created = true;
    (void)lookalike::es::PutMappingJson(engine, "mz", body);
  } else {
    created = lookalike::es::CreateIndexJson(engine, "mz", body).ok();
    if (created && (mode & 0x02)) (void)lookalike::es::PutMappingJson(engine, "mz", body);
  }
  if (created) {
    (void)lookalike::es::GetIndexJson(engine, "mz");
    (void)lookalike::es::GetMappingJson(engine, "mz");
    (void)lookalike::es::GetSettingsJson(engine, "mz");
    if (mode & 0x04) {
      (void)engine.IndexDocument("mz", "1", R"({"v":[1,2,3],"k":"a","n":1,"t":"x y"})",
                                 lookalike::OpType::kIndex, lookalike::RefreshPolicy::kTrue);
      (void)lookalike::es::SearchJson(engine, "mz", "");
    }
  }
  lookalike::fuzz::DeleteAllIndices(engine);
  return 0;
}
