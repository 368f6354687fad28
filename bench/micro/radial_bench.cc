// Radial search next to plain top-k on one HNSW index (20k vectors, d = 128, int8 codes):
// BM_TopK/k and BM_Radial/n, where the radius of each query holds about n vectors (taken from
// the flat index's exact distances). build/bench_radial; results go to bench/RESULTS.md.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "lookalike/vector_index.h"

namespace lookalike {
namespace {

constexpr size_t kN = 20000, kDim = 128, kQueries = 64;

struct Fixture {
  std::unique_ptr<VectorIndex> hnsw, flat;
  std::vector<float> queries;
};

// Clustered data: radial neighbourhoods of real embeddings are dense, not uniform noise.
const Fixture& Data() {
  static const Fixture fixture = [] {
    Fixture built;
    Fixture* f = &built;
    std::mt19937 rng(5);
    std::normal_distribution<float> g;
    std::vector<float> centres(100 * kDim);
    for (auto& c : centres) c = g(rng);
    auto draw = [&](size_t n) {
      std::vector<float> x(n * kDim);
      std::uniform_int_distribution<size_t> pick(0, 99);
      for (size_t i = 0; i < n; ++i) {
        const size_t c = pick(rng);
        for (size_t j = 0; j < kDim; ++j) x[i * kDim + j] = centres[c * kDim + j] + 0.3f * g(rng);
      }
      return x;
    };
    auto x = draw(kN);
    f->queries = draw(kQueries);
    std::vector<uint64_t> labels(kN);
    for (size_t i = 0; i < kN; ++i) labels[i] = i;
    f->hnsw = CreateHnswIndex(kDim, Metric::kL2, HnswParams{}).value();
    f->flat = CreateFlatIndex(kDim, Metric::kL2).value();
    (void)f->hnsw->AddBatch(kN, labels.data(), x.data());
    (void)f->flat->AddBatch(kN, labels.data(), x.data());
    return built;
  }();
  return fixture;
}

void BM_TopK(benchmark::State& state) {
  const Fixture& f = Data();
  SearchParams p;
  p.k = static_cast<size_t>(state.range(0));
  std::vector<SearchHit> hits;
  size_t q = 0;
  for (auto _ : state) {
    (void)f.hnsw->Search(&f.queries[(q++ % kQueries) * kDim], p, &hits);
    benchmark::DoNotOptimize(hits.data());
  }
}
BENCHMARK(BM_TopK)->Arg(10)->Arg(100)->Arg(1000);

void BM_Radial(benchmark::State& state) {
  const Fixture& f = Data();
  const size_t inside = static_cast<size_t>(state.range(0));
  std::vector<float> radius(kQueries);
  std::vector<SearchHit> hits;
  for (size_t q = 0; q < kQueries; ++q) {
    SearchParams exact;
    exact.k = inside;
    (void)f.flat->Search(&f.queries[q * kDim], exact, &hits);
    radius[q] = hits.back().distance;
  }
  SearchParams p;
  p.k = 10000;
  size_t q = 0, found = 0, runs = 0;
  for (auto _ : state) {
    p.max_distance = radius[q % kQueries];
    (void)f.hnsw->Search(&f.queries[(q++ % kQueries) * kDim], p, &hits);
    found += hits.size();
    ++runs;
  }
  state.counters["hits"] = runs ? double(found) / runs : 0;
}
BENCHMARK(BM_Radial)->Arg(10)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace lookalike
