// The one place that defines a distance metric and the REST similarities built on it.
//
// Two tables:
//  - MetricInfo, one row per index Metric (include/lookalike/vector_index.h): its names, whether
//    vectors are normalised to unit length (at insert and at query), which kernel computes the
//    distance and how a dot product becomes a "smaller is closer" distance. The flat index, HNSW
//    and every quantiser read these rows instead of switching on the metric.
//  - VectorSimilarity, one row per name a mapping may use, in both dialects: OpenSearch
//    `knn_vector` "space_type" and Elasticsearch `dense_vector` "similarity". Each row names its
//    index metric, the formula from the index distance to the `_score` clients see, and the
//    inverse (for min_score / radius thresholds).
//
// Adding a metric: a Metric enumerator, a MetricInfo row, its VectorSimilarity rows, and (if no
// existing kernel computes it) its kernels in src/simd. Quantisers need no per-metric parameters
// today: they compute <q,x> (and norms, which every code stores, for l2) and finish with
// DistanceFromDot.
//
// Thread safety: the tables are immutable.
#pragma once

#include <cassert>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <string_view>

#include "lookalike/vector_index.h"

namespace lookalike {

/// How the index computes a distance, "smaller is closer".
enum class DistanceKernel : uint8_t {
  kSquaredL2,  // |q - x|²
  kDot,        // dot_offset - <q, x>
};

struct MetricInfo {
  Metric metric;
  std::string_view name;   // canonical: stats, logs, the `ParseMetric` spelling
  std::string_view alias;  // one more accepted spelling ("" if none)
  bool normalize;          // vectors scaled to unit length at insert and at query
  DistanceKernel kernel;
  float dot_offset;                   // kDot only: distance = dot_offset - <q, x>
  std::string_view distance_formula;  // for documentation and error messages
};

/// Every metric, in enumerator order. In the header so that hot loops and the quantisers (which
/// do not link the index library) read it without a call.
inline constexpr MetricInfo kMetricTable[] = {
    {Metric::kL2, "l2", "", /*normalize=*/false, DistanceKernel::kSquaredL2, 0.0f, "|q - x|^2"},
    {Metric::kInnerProduct, "ip", "inner_product", /*normalize=*/false, DistanceKernel::kDot, 0.0f,
     "-<q, x>"},
    {Metric::kCosine, "cosine", "", /*normalize=*/true, DistanceKernel::kDot, 1.0f,
     "1 - <q/|q|, x/|x|>"},
};

inline std::span<const MetricInfo> AllMetrics() { return kMetricTable; }

/// True when `value` is the number of a Metric (a byte read from a file).
inline bool IsKnownMetric(uint32_t value) {
  return value < std::size(kMetricTable) && uint32_t(kMetricTable[value].metric) == value;
}

/// The row of a known metric (asserts on an unknown one: check IsKnownMetric first).
inline const MetricInfo& MetricInfoOf(Metric metric) {
  assert(IsKnownMetric(static_cast<uint32_t>(metric)));
  return kMetricTable[static_cast<size_t>(metric)];
}

/// The index distance from <q,x> and the squared norms |q|², |x|² (norms are used by l2 only):
/// what every quantiser computes last.
inline float DistanceFromDot(const MetricInfo& m, float dot, float q_norm2, float x_norm2) {
  return m.kernel == DistanceKernel::kSquaredL2 ? q_norm2 + x_norm2 - 2 * dot : m.dot_offset - dot;
}

/// The largest index distance whose raw similarity (Elasticsearch knn.similarity: the l2
/// distance |q - x| for kSquaredL2 metrics, <q, x> or the cosine for kDot ones) reaches
/// `similarity`: l2 distance s → s², dot/cosine s → dot_offset - s. Below every distance (-1)
/// for a negative l2 radius.
inline float DistanceForRawSimilarity(const MetricInfo& m, float similarity) {
  if (m.kernel == DistanceKernel::kSquaredL2) {
    return similarity < 0 ? -1.0f : similarity * similarity;
  }
  return m.dot_offset - similarity;
}

/// Copies `in` to `out` (dim floats), scaled to unit length when the metric normalises. The
/// norm is computed in double: for a vector of tiny (subnormal) components 1/|v| overflows a
/// float. The caller has checked the vector with ValidateVector (no zero vector for cosine).
void PrepareVector(const MetricInfo& m, const float* in, float* out, size_t dim);

/// Which REST dialect a similarity name belongs to.
enum class ScoreDialect : uint8_t {
  kOpenSearch,     // knn_vector "space_type" (method.space_type, index.knn.space_type)
  kElasticsearch,  // dense_vector "similarity"
};

struct VectorSimilarity {
  ScoreDialect dialect;
  std::string_view name;
  Metric metric;
  /// `_score` of a hit at index distance `d` (see MetricInfo for what d is).
  float (*score)(float d);
  /// The inverse: the largest index distance whose score is >= `score` (scores fall as the
  /// distance grows). +inf when every distance scores that high, below every possible distance
  /// (e.g. negative for l2) when none does.
  float (*distance_for_score)(float score);
  std::string_view score_formula;  // as documented by OpenSearch / Elasticsearch
};

/// Every similarity, OpenSearch rows first, each dialect in the order its error messages list.
std::span<const VectorSimilarity> AllSimilarities();
/// The row for `name` in `dialect`, or nullptr when that dialect does not support it.
const VectorSimilarity* FindSimilarity(ScoreDialect dialect, std::string_view name);
/// The names `dialect` supports, comma-separated ("l2, cosinesimil, innerproduct").
std::string SupportedSimilarityNames(ScoreDialect dialect);
/// OpenSearch "l2": the default of a knn_vector without space_type.
const VectorSimilarity& DefaultSimilarity();

}  // namespace lookalike
