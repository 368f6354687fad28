// Synthetic clustered data, brute-force ground truth and recall for the HNSW tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "lookalike/vector_index.h"

namespace lookalike::testing_data {

// CNN-feature-like data: n points around `clusters` Gaussian centres, each point the centre plus
// a low-rank (8-dim latent) offset plus small full-rank noise, so neighbourhoods have a low
// intrinsic dimension as real embeddings do (pure Gaussian noise in 64+ dims makes every
// neighbour equally far and no graph index reaches useful recall).
inline std::vector<float> Clustered(size_t n, size_t d, uint32_t seed, size_t clusters = 40,
                                    float noise = 0.05f) {
  constexpr size_t kLatent = 8;
  std::mt19937 rng(1234);  // centres and subspace are shared by data and queries
  std::normal_distribution<float> g(0, 1);
  std::vector<float> centres(clusters * d), basis(kLatent * d);
  for (auto& v : centres) v = g(rng);
  for (auto& v : basis) v = g(rng) * 0.5f;
  rng.seed(seed);
  std::vector<float> x(n * d);
  std::uniform_int_distribution<size_t> pick(0, clusters - 1);
  float latent[kLatent];
  for (size_t i = 0; i < n; ++i) {
    size_t c = pick(rng);
    for (auto& l : latent) l = g(rng);
    for (size_t j = 0; j < d; ++j) {
      float v = centres[c * d + j] + noise * g(rng);
      for (size_t t = 0; t < kLatent; ++t) v += latent[t] * basis[t * d + j];
      x[i * d + j] = v;
    }
  }
  return x;
}

inline double Distance(Metric m, const float* q, const float* x, size_t d) {
  double ip = 0, l2 = 0, qq = 0, xx = 0;
  for (size_t i = 0; i < d; ++i) {
    ip += double(q[i]) * x[i];
    l2 += double(q[i] - x[i]) * (q[i] - x[i]);
    qq += double(q[i]) * q[i];
    xx += double(x[i]) * x[i];
  }
  if (m == Metric::kL2) return l2;
  if (m == Metric::kInnerProduct) return -ip;
  return 1 - ip / std::sqrt(qq * xx);
}

// Exact k nearest labels of each query among rows whose label passes `keep` (labels = row ids
// unless `labels` is given).
template <typename Keep>
std::vector<std::vector<uint64_t>> BruteForce(Metric m, const std::vector<float>& x,
                                              const std::vector<uint64_t>& labels,
                                              const std::vector<float>& queries, size_t d,
                                              size_t k, Keep keep) {
  size_t n = x.size() / d, nq = queries.size() / d;
  std::vector<std::vector<uint64_t>> out(nq);
  std::vector<std::pair<double, uint64_t>> all;
  for (size_t q = 0; q < nq; ++q) {
    all.clear();
    for (size_t i = 0; i < n; ++i) {
      if (!keep(labels[i])) continue;
      all.push_back({Distance(m, &queries[q * d], &x[i * d], d), labels[i]});
    }
    size_t kk = std::min(k, all.size());
    std::partial_sort(all.begin(), all.begin() + kk, all.end());
    for (size_t i = 0; i < kk; ++i) out[q].push_back(all[i].second);
  }
  return out;
}

inline double Recall(const std::vector<std::vector<uint64_t>>& truth,
                     const std::vector<std::vector<SearchHit>>& got) {
  size_t hit = 0, total = 0;
  for (size_t q = 0; q < truth.size(); ++q) {
    for (uint64_t t : truth[q]) {
      ++total;
      for (const auto& h : got[q]) hit += h.label == t;
    }
  }
  return total == 0 ? 1.0 : double(hit) / double(total);
}

inline std::vector<uint64_t> Iota(size_t n, uint64_t start = 0) {
  std::vector<uint64_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + i;
  return v;
}

}  // namespace lookalike::testing_data
