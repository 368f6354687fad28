// Shared helpers for the flat index tests: random data and a naive double-precision oracle.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "index/flat/flat_index.h"

namespace lookalike::flat::testing {

inline std::vector<float> RandomVectors(size_t n, size_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(n * dim);
  for (auto& x : v) x = g(rng);
  return v;
}

/// Brute force over (label, vector) pairs in double precision, straight from the metric
/// definitions in vector_index.h (no shared code with the index).
inline std::vector<SearchHit> Naive(const std::vector<std::pair<uint64_t, std::vector<float>>>& db,
                                    const float* q, size_t dim, Metric metric, size_t k) {
  std::vector<std::pair<double, uint64_t>> all;
  double qn = 0;
  for (size_t i = 0; i < dim; ++i) qn += double{q[i]} * q[i];
  for (const auto& [label, x] : db) {
    double l2 = 0, ip = 0, xn = 0;
    for (size_t i = 0; i < dim; ++i) {
      l2 += (double{q[i]} - x[i]) * (double{q[i]} - x[i]);
      ip += double{q[i]} * x[i];
      xn += double{x[i]} * x[i];
    }
    double d = metric == Metric::kL2 ? l2
               : metric == Metric::kInnerProduct ? -ip
                                                 : 1.0 - ip / std::sqrt(qn * xn);
    all.emplace_back(d, label);
  }
  std::sort(all.begin(), all.end());
  std::vector<SearchHit> out;
  for (size_t i = 0; i < std::min(k, all.size()); ++i) {
    out.push_back({all[i].second, static_cast<float>(all[i].first)});
  }
  return out;
}

/// Same labels in the same order and distances within float rounding, except that neighbours
/// whose distances are within rounding of each other may swap.
inline void ExpectSameHits(const std::vector<SearchHit>& want, const std::vector<SearchHit>& got,
                           double tol = 1e-3) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const double scale = std::max(1.0, std::fabs(double{want[i].distance}));
    EXPECT_NEAR(want[i].distance, got[i].distance, tol * scale) << "rank " << i;
    if (want[i].label != got[i].label) {
      // Allowed only for a near-tie with the neighbouring rank.
      const bool tie_prev = i > 0 && std::fabs(want[i].distance - want[i - 1].distance) < tol * scale;
      const bool tie_next = i + 1 < want.size() &&
                            std::fabs(want[i].distance - want[i + 1].distance) < tol * scale;
      EXPECT_TRUE(tie_prev || tie_next) << "rank " << i << ": want label " << want[i].label
                                        << " got " << got[i].label;
    }
  }
}

class SetFilter : public LabelFilter {
 public:
  SetFilter(std::set<uint64_t> allowed, bool enumerable)
      : allowed_(std::move(allowed)), enumerable_(enumerable) {}
  bool Contains(uint64_t label) const override { return allowed_.count(label) != 0; }
  int64_t Count() const override { return enumerable_ ? static_cast<int64_t>(allowed_.size()) : -1; }
  bool Enumerate(std::vector<uint64_t>* out) const override {
    if (!enumerable_) return false;
    out->insert(out->end(), allowed_.begin(), allowed_.end());
    return true;
  }

 private:
  std::set<uint64_t> allowed_;
  bool enumerable_;
};

}  // namespace lookalike::flat::testing
