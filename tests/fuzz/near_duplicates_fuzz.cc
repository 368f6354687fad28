// The POST /{index}/_near_duplicates body codec (server/es/near_duplicates_codec.h): any bytes
// either parse into a request whose min_score is finite, or fail with 400 parsing_exception
// (ErrorKind kMalformedRequest), never anything else. An accepted body also runs against a small
// in-memory index (flat, three vectors, two of them near duplicates) and its report renders.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

#include "fuzz_util.h"
#include "lookalike/engine.h"
#include "server/es/index_codec.h"
#include "server/es/near_duplicates_codec.h"

namespace {

lookalike::Engine* SmallIndex() {
  static lookalike::Engine* engine = [] {
    lookalike::Engine& e = lookalike::fuzz::SharedEngine();
    lookalike::fuzz::CheckOk(
        lookalike::es::CreateIndexJson(e, "dedup", R"({"mappings":{"properties":{"v":{
            "type":"knn_vector","dimension":2,"method":{"name":"flat","space_type":"l2"}}}}})")
            .status(),
        "create index");
    for (const char* doc : {R"({"v":[0,0]})", R"({"v":[0,0.01]})", R"({"v":[5,5]})"}) {
      lookalike::fuzz::CheckOk(e.IndexDocument("dedup", "", doc, lookalike::OpType::kIndex,
                                               lookalike::RefreshPolicy::kTrue)
                                   .status(),
                               "index document");
    }
    return &e;
  }();
  return engine;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto request = lookalike::es::ParseNearDuplicatesBody(lookalike::fuzz::AsText(data, size));
  if (!request.ok()) {
    if (request.status().kind() != lookalike::ErrorKind::kMalformedRequest) {
      std::fprintf(stderr, "refused without kMalformedRequest: %s\n",
                   request.status().ToString().c_str());
      __builtin_trap();
    }
    return 0;
  }
  if (!std::isfinite(request->min_score)) __builtin_trap();
  auto report = SmallIndex()->FindNearDuplicates("dedup", request->field, request->min_score,
                                                 request->options);
  if (report.ok()) (void)lookalike::es::RenderNearDuplicates(*report);
  return 0;
}
