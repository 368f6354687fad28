// bench_dedup: the near-duplicate report's cost (engine/near_duplicates.h) on synthetic vectors,
// not a timed test. Builds an index of N random vectors of dimension D (cosine) in which G
// groups of 2..5 perturbed copies are planted, then times the grouping and checks it found the
// planted pairs. The report is one k-NN search per document plus exact checks of the pairs
// found, so its time is N x (one search at k = 17) / threads + a small clustering term: the
// printed per-document cost times 1M is the model for a million documents.
// Usage: build/bench_dedup [N=100000] [D=1280] [G=1000] [method=hnsw|hnsw-f32|flat] [threads=0]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/near_duplicates.h"
#include "lookalike/vector_index.h"

namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}
float CosineScore(float d) { return (2.0f - d) / 2.0f; }  // Elasticsearch/OpenSearch cosine

// CPU seconds of every thread of this process (wall time misleads on a shared machine).
double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lookalike;
  const size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const size_t dim = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1280;
  const size_t groups = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000;
  const std::string method = argc > 4 ? argv[4] : "hnsw";
  const int threads = argc > 5 ? std::atoi(argv[5]) : 0;

  std::mt19937 rng(42);
  std::normal_distribution<float> g;
  std::vector<float> data(n * dim);
  for (float& x : data) x = g(rng);
  // Groups of 2..5 at the front of a shuffled order: copy i of a group = base + noise.
  std::vector<uint64_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::set<std::pair<uint64_t, uint64_t>> planted;
  size_t next = 0;
  for (size_t k = 0; k < groups && next + 5 <= n; ++k) {
    size_t size = 2 + k % 4;
    const float* base = &data[order[next] * dim];
    for (size_t m = 1; m < size; ++m) {
      float* v = &data[order[next + m] * dim];
      for (size_t i = 0; i < dim; ++i) v[i] = base[i] + 0.08f * g(rng);
    }
    for (size_t a = 0; a < size; ++a) {
      for (size_t b = a + 1; b < size; ++b) {
        planted.insert(std::minmax(order[next + a], order[next + b]));
      }
    }
    next += size;
  }

  auto start = Clock::now();
  double cpu_start = ProcessCpuSeconds();
  Result<std::unique_ptr<VectorIndex>> index = Status::InvalidArgument("method");
  if (method == "flat") {
    index = CreateFlatIndex(dim, Metric::kCosine);
  } else {
    HnswParams params;
    params.code = method == "hnsw-f32" ? CodeType::kFloat32 : CodeType::kInt8;
    index = CreateHnswIndex(dim, Metric::kCosine, params);
  }
  if (!index.ok()) {
    std::fprintf(stderr, "%s\n", index.status().ToString().c_str());
    return 1;
  }
  std::vector<uint64_t> labels(order.size());
  for (size_t i = 0; i < n; ++i) labels[i] = i;
  Status added = (*index)->AddBatch(n, labels.data(), data.data(), threads);
  if (!added.ok()) {
    std::fprintf(stderr, "%s\n", added.ToString().c_str());
    return 1;
  }
  const double build_s = Seconds(start);
  const double build_cpu = ProcessCpuSeconds() - cpu_start;

  NearDuplicateOptions options;
  options.threads = threads;
  start = Clock::now();
  cpu_start = ProcessCpuSeconds();
  auto found = engine::GroupNearDuplicateLabels(**index, labels, CosineScore, 0.97f, options);
  const double report_s = Seconds(start);
  const double report_cpu = ProcessCpuSeconds() - cpu_start;
  if (!found.ok()) {
    std::fprintf(stderr, "%s\n", found.status().ToString().c_str());
    return 1;
  }
  size_t got = 0, correct = 0;
  for (const engine::LabelGroup& group : found->groups) {
    for (size_t a = 0; a < group.labels.size(); ++a) {
      for (size_t b = a + 1; b < group.labels.size(); ++b) {
        ++got;
        correct += planted.count(std::minmax(group.labels[a], group.labels[b]));
      }
    }
  }
  std::printf(
      "bench_dedup n=%zu dim=%zu method=%s threads=%d: build %.1f s (%.1f CPU s), report %.2f s "
      "(%.1f CPU s, %.3f CPU ms per document), %zu groups, pairs %zu found / %zu planted, "
      "precision %.4f, recall %.4f; model for 1M documents: %.1f CPU min\n",
      n, dim, method.c_str(), threads, build_s, build_cpu, report_s, report_cpu,
      1000.0 * report_cpu / n, found->groups.size(), got, planted.size(),
      got ? double(correct) / got : 0.0, planted.empty() ? 0.0 : double(correct) / planted.size(),
      report_cpu / n * 1e6 / 60.0);
  return 0;
}
