// What the metrics cost: a knn search with the per-index search metrics recorded or not
// (EngineOptions::record_metrics), and one Prometheus scrape of a node with 100 indices.
// Quote ratios (bench/RESULTS.md), not absolute times.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>
#include <string>

#include "lookalike/engine.h"
#include "server/es/index_codec.h"
#include "server/metrics/node_metrics.h"

namespace lookalike {
namespace {

constexpr int kDim = 64;

std::string TempDir() {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("lookalike-metrics-bench-" + std::to_string(std::random_device{}())))
                        .string();
  std::filesystem::create_directories(dir);
  return dir;
}

std::unique_ptr<Engine> OpenWith(const std::string& dir, bool record_metrics) {
  EngineOptions options;
  options.data_dir = dir;
  options.durability = Durability::kAsync;
  options.record_metrics = record_metrics;
  options.snapshot_on_shutdown = false;
  return std::move(Engine::Open(options).value());
}

void Fill(Engine& engine, const std::string& index, int docs, std::mt19937& rng) {
  (void)es::CreateIndexJson(engine, index, R"({"mappings":{"properties":{"v":{"type":"knn_vector",
      "dimension":)" + std::to_string(kDim) + "}}}}");
  std::normal_distribution<float> g;
  std::vector<WriteOp> ops;
  for (int i = 0; i < docs; ++i) {
    WriteOp op;
    op.index = index;
    op.id = std::to_string(i);
    op.source = "{\"v\":[";
    for (int d = 0; d < kDim; ++d) op.source += (d ? "," : "") + std::to_string(g(rng));
    op.source += "]}";
    ops.push_back(std::move(op));
  }
  (void)engine.Write(std::move(ops), RefreshPolicy::kTrue);
}

void BM_KnnSearch(benchmark::State& state) {
  std::string dir = TempDir();
  {
    auto engine = OpenWith(dir, state.range(0) != 0);
    std::mt19937 rng(1);
    Fill(*engine, "b", 5000, rng);
    SearchRequest request;
    KnnNode knn;
    knn.field = "v";
    knn.vector.assign(kDim, 0.5f);
    knn.k = 10;
    request.query = QueryNode{knn};
    request.size = 10;
    request.source.enabled = false;
    for (auto _ : state) benchmark::DoNotOptimize(engine->Search("b", request));
    state.SetLabel(state.range(0) ? "metrics on" : "metrics off");
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_KnnSearch)->Arg(0)->Arg(1);

void BM_ScrapeHundredIndices(benchmark::State& state) {
  std::string dir = TempDir();
  {
    auto engine = OpenWith(dir, true);
    std::mt19937 rng(2);
    for (int i = 0; i < 100; ++i) Fill(*engine, "i" + std::to_string(i), 20, rng);
    server::NodeMetricsSources sources;
    sources.engine = engine.get();
    sources.data_dir = dir;
    size_t bytes = 0;
    for (auto _ : state) bytes = server::RenderNodeMetrics(sources).size();
    state.counters["bytes"] = static_cast<double>(bytes);
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ScrapeHundredIndices)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lookalike
