// Nested knn (many vectors per document) next to plain knn through the engine: the same 20k
// vectors (d = 64, HNSW int8, L2) held one per document ("plain", 20k documents) or four per
// document in a nested field ("nested", 5k documents). BM_Knn/k/nested/inner: k = 10 or 100
// documents; inner 1 = Elasticsearch knn inner_hits (each hit's vectors scored at fetch time,
// best 3 shown), 2 = OpenSearch expand_nested_docs with score_mode avg (every vector of the k
// documents scored during the search too) and inner_hits, 3 = no inner_hits but each hit's
// _source (the same document reads inner_hits make). Quote ratios (bench/RESULTS.md), not
// absolute times.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>
#include <string>

#include "lookalike/engine.h"
#include "server/es/index_codec.h"

namespace lookalike {
namespace {

constexpr int kDim = 64, kVectors = 20000, kPerDoc = 4;

std::string VectorText(std::mt19937& rng) {
  std::normal_distribution<float> g;
  std::string s = "[";
  for (int d = 0; d < kDim; ++d) s += (d ? "," : "") + std::to_string(g(rng));
  return s + "]";
}

struct Fixture {
  std::string dir;
  std::unique_ptr<Engine> engine;
};

Fixture& Data() {
  static Fixture f = [] {
    Fixture built;
    built.dir = (std::filesystem::temp_directory_path() /
                 ("lookalike-nested-bench-" + std::to_string(std::random_device{}())))
                    .string();
    std::filesystem::create_directories(built.dir);
    EngineOptions options;
    options.data_dir = built.dir;
    options.durability = Durability::kAsync;
    options.snapshot_on_shutdown = false;
    built.engine = std::move(Engine::Open(options).value());
    const std::string dim = std::to_string(kDim);
    (void)es::CreateIndexJson(*built.engine, "plain",
                              R"({"mappings":{"properties":{"v":{"type":"knn_vector",
        "dimension":)" + dim + "}}}}");
    (void)es::CreateIndexJson(*built.engine, "nested",
                              R"({"mappings":{"properties":{"c":{"type":"nested","properties":{
        "v":{"type":"knn_vector","dimension":)" + dim + "}}}}}}");
    std::mt19937 rng(1);
    std::vector<WriteOp> plain, nested;
    for (int d = 0; d < kVectors / kPerDoc; ++d) {
      WriteOp n;
      n.index = "nested";
      n.id = std::to_string(d);
      n.source = "{\"c\":[";
      for (int i = 0; i < kPerDoc; ++i) {
        const std::string v = VectorText(rng);
        WriteOp p;
        p.index = "plain";
        p.id = std::to_string(d * kPerDoc + i);
        p.source = "{\"v\":" + v + "}";
        plain.push_back(std::move(p));
        n.source += (i ? ",{\"v\":" : "{\"v\":") + v + "}";
      }
      n.source += "]}";
      nested.push_back(std::move(n));
    }
    (void)built.engine->Write(std::move(plain), RefreshPolicy::kTrue);
    (void)built.engine->Write(std::move(nested), RefreshPolicy::kTrue);
    return built;
  }();
  return f;
}

void BM_Knn(benchmark::State& state) {
  Fixture& f = Data();
  const bool nested = state.range(1) != 0;
  const int64_t inner = state.range(2);
  std::mt19937 rng(7);
  std::normal_distribution<float> g;
  std::vector<SearchRequest> requests(32);
  for (SearchRequest& request : requests) {
    KnnNode knn;
    knn.field = nested ? "c.v" : "v";
    for (int d = 0; d < kDim; ++d) knn.vector.push_back(g(rng));
    knn.k = static_cast<size_t>(state.range(0));
    if (inner == 1 || inner == 2) knn.inner_hits = NestedInnerHitsRequest{};
    knn.score_avg = inner == 2;
    request.query = QueryNode{knn};
    request.size = static_cast<int64_t>(knn.k);
    request.source.enabled = inner == 3;  // 3: the documents' _source, for scale
  }
  size_t q = 0, hits = 0;
  for (auto _ : state) {
    auto r = f.engine->Search(nested ? "nested" : "plain", requests[q++ % requests.size()]);
    if (r.ok()) hits += r->hits.size();
  }
  state.counters["hits"] = benchmark::Counter(static_cast<double>(hits),
                                              benchmark::Counter::kAvgIterations);
  state.SetLabel(!nested       ? "plain (20k docs)"
                 : inner == 0  ? "nested (5k docs x 4)"
                 : inner == 1  ? "nested + inner_hits"
                 : inner == 2  ? "nested + expand avg + inner_hits"
                               : "nested + _source");
}
BENCHMARK(BM_Knn)
    ->Args({10, 0, 0})
    ->Args({10, 1, 0})
    ->Args({10, 1, 1})
    ->Args({10, 1, 2})
    ->Args({10, 1, 3})
    ->Args({100, 0, 0})
    ->Args({100, 1, 0})
    ->Args({100, 1, 1})
    ->Args({100, 1, 2});

}  // namespace
}  // namespace lookalike
