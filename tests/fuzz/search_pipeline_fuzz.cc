// Search pipelines (server/es/search_pipeline.h, server/search_pipeline_store.h): the body of
// PUT _search/pipeline/{id} parsed and applied to a hybrid query of 1–5 sub-queries, and the
// stored pipelines file loaded. Checks the durability promise: a body the store accepted
// loads again from the file it wrote, to the same body and the same parsed pipeline.
//
// Input: byte 0 picks the sub-query count and whether the rest is a stored pipelines file
// (bit 0x80) or a pipeline body.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "server/es/search_pipeline.h"
#include "server/search_pipeline_store.h"

namespace {

using lookalike::es::SearchPipeline;

bool Same(const SearchPipeline& a, const SearchPipeline& b) {
  return a.fusion == b.fusion && a.normalizer == b.normalizer &&
         a.combination == b.combination && a.weights == b.weights &&
         a.rank_constant == b.rank_constant;
}

[[noreturn]] void Fail(const char* why) {
  std::fprintf(stderr, "%s\n", why);
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lookalike::server::SearchPipelineStore;
  static lookalike::fuzz::TempDir dir;
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  std::string_view body = lookalike::fuzz::AsText(data + 1, size - 1);
  const std::string path = dir.path() + "/search_pipelines.json";
  if (mode & 0x80) {  // a damaged or hand-edited file: loads or is refused, never crashes
    lookalike::fuzz::WriteFileOrDie(path, body);
    SearchPipelineStore store(path);
    if (store.Load().ok()) (void)store.List("*");
    ::unlink(path.c_str());
    return 0;
  }
  auto parsed = lookalike::es::ParseSearchPipelineJson(body);
  if (parsed.ok()) {
    lookalike::Retriever hybrid;
    hybrid.kind = lookalike::Retriever::Kind::kLinear;
    hybrid.children.resize(1 + (mode & 0x07) % 5);
    auto applied = lookalike::es::ApplySearchPipeline(*parsed, &hybrid);
    if (applied.ok() && hybrid.kind == lookalike::Retriever::Kind::kLinear &&
        (hybrid.weights.size() != hybrid.children.size() ||
         hybrid.normalizers.size() != hybrid.children.size())) {
      Fail("an applied pipeline left weights or normalizers that are not one per sub-query");
    }
  }
  {
    SearchPipelineStore store(path);
    const bool put = store.Put("p", body).ok();
    if (put != parsed.ok()) Fail("the store and the parser disagree on a body");
    if (put) {
      SearchPipelineStore reloaded(path);
      if (!reloaded.Load().ok()) Fail("a stored pipeline does not load again");
      auto a = store.List("p"), b = reloaded.List("p");
      auto pa = store.Find("p"), pb = reloaded.Find("p");
      if (!a.ok() || !b.ok() || *a != *b || !pa.ok() || !pb.ok() || !Same(*pa, *pb)) {
        Fail("a reloaded pipeline differs from the stored one");
      }
      if (!store.Delete("p").ok()) Fail("delete of a stored pipeline failed");
    }
  }
  ::unlink(path.c_str());
  return 0;
}
