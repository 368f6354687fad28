// The metric and similarity tables; see metric.h. The score expressions are kept exactly as
// the engine has always evaluated them (float operations in this order), so scores do not move
// by an ulp; the tests in tests/unit/hnsw/metric_table_test.cc check them against the
// documented formulas.
#include "index/metric.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lookalike {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// 1 / (1 + d) for d = |q - x|², both dialects.
float ScoreL2(float d) { return 1.0f / (1.0f + d); }
float DistanceL2(float s) { return s > 0 ? 1.0f / s - 1.0f : kInf; }

// OpenSearch cosinesimil (2.19+): (2 - d) / 2 = (1 + cos) / 2 for d = 1 - cos.
float ScoreCosineSimil(float d) { return (2.0f - d) / 2.0f; }
// Elasticsearch cosine: (1 + cos) / 2, evaluated as (1 + (1 - d)) / 2.
float ScoreEsCosine(float d) { return (1.0f + (1.0f - d)) / 2.0f; }
float DistanceCosine(float s) { return 2.0f - 2.0f * s; }

// OpenSearch innerproduct, d = -<q,x>: 1 + ip when ip > 0, else 1 / (1 - ip).
float ScoreInnerProduct(float d) { return d < 0 ? 1.0f - d : 1.0f / (1.0f + d); }
float DistanceInnerProduct(float s) {
  if (s <= 0) return kInf;
  return s > 1 ? 1.0f - s : 1.0f / s - 1.0f;  // -(s - 1) or -(1 - 1/s)
}

// Elasticsearch dot_product: (1 + dot) / 2.
float ScoreDotProduct(float d) {
  const float dot = -d;
  return (1.0f + dot) / 2.0f;
}
float DistanceDotProduct(float s) { return 1.0f - 2.0f * s; }

// Elasticsearch max_inner_product: dot + 1 when dot >= 0, else 1 / (1 - dot).
float ScoreMaxInnerProduct(float d) {
  const float dot = -d;
  return dot < 0 ? 1.0f / (1.0f - dot) : dot + 1.0f;
}
float DistanceMaxInnerProduct(float s) { return DistanceInnerProduct(s); }

constexpr VectorSimilarity kSimilarities[] = {
    {ScoreDialect::kOpenSearch, "l2", Metric::kL2, ScoreL2, DistanceL2, "1 / (1 + l2^2)"},
    {ScoreDialect::kOpenSearch, "cosinesimil", Metric::kCosine, ScoreCosineSimil, DistanceCosine,
     "(2 - (1 - cos)) / 2"},
    {ScoreDialect::kOpenSearch, "innerproduct", Metric::kInnerProduct, ScoreInnerProduct,
     DistanceInnerProduct, "dot > 0 ? 1 + dot : 1 / (1 - dot)"},
    {ScoreDialect::kElasticsearch, "l2_norm", Metric::kL2, ScoreL2, DistanceL2,
     "1 / (1 + l2_norm^2)"},
    {ScoreDialect::kElasticsearch, "cosine", Metric::kCosine, ScoreEsCosine, DistanceCosine,
     "(1 + cos) / 2"},
    {ScoreDialect::kElasticsearch, "dot_product", Metric::kInnerProduct, ScoreDotProduct,
     DistanceDotProduct, "(1 + dot) / 2"},
    {ScoreDialect::kElasticsearch, "max_inner_product", Metric::kInnerProduct, ScoreMaxInnerProduct,
     DistanceMaxInnerProduct, "dot < 0 ? 1 / (1 - dot) : dot + 1"},
};

}  // namespace

void PrepareVector(const MetricInfo& m, const float* in, float* out, size_t dim) {
  if (!m.normalize) {
    std::copy(in, in + dim, out);
    return;
  }
  double norm2 = 0;
  for (size_t i = 0; i < dim; ++i) norm2 += static_cast<double>(in[i]) * in[i];
  const double inv = 1.0 / std::sqrt(norm2);
  for (size_t i = 0; i < dim; ++i) out[i] = static_cast<float>(in[i] * inv);
}

std::span<const VectorSimilarity> AllSimilarities() { return kSimilarities; }

const VectorSimilarity* FindSimilarity(ScoreDialect dialect, std::string_view name) {
  for (const VectorSimilarity& s : kSimilarities) {
    if (s.dialect == dialect && s.name == name) return &s;
  }
  return nullptr;
}

std::string SupportedSimilarityNames(ScoreDialect dialect) {
  std::string out;
  for (const VectorSimilarity& s : kSimilarities) {
    if (s.dialect != dialect) continue;
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

const VectorSimilarity& DefaultSimilarity() { return kSimilarities[0]; }

}  // namespace lookalike
