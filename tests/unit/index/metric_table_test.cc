// The metric and similarity tables (src/index/metric.h): every row is run through
// parse-name → index distance → _score → inverse and checked against the formulas that
// OpenSearch and Elasticsearch document; the accepted names and the scores are pinned to what
// the engine produced before the table existed.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "index/metric.h"

namespace lookalike {
namespace {

struct Pair {
  std::vector<float> q, x;
  double dot = 0, cos = 0, l2sq = 0;
};

Pair MakePair(std::mt19937* rng, size_t dim) {
  std::normal_distribution<float> g(0, 0.6f);
  Pair p;
  p.q.resize(dim);
  p.x.resize(dim);
  double qq = 0, xx = 0;
  for (size_t i = 0; i < dim; ++i) {
    p.q[i] = g(*rng);
    p.x[i] = g(*rng);
    p.dot += double(p.q[i]) * p.x[i];
    p.l2sq += double(p.q[i] - p.x[i]) * (p.q[i] - p.x[i]);
    qq += double(p.q[i]) * p.q[i];
    xx += double(p.x[i]) * p.x[i];
  }
  p.cos = p.dot / std::sqrt(qq * xx);
  return p;
}

// The index distance of the pair by the metric's definition (vector_index.h), in double.
double DefinedDistance(Metric metric, const Pair& p) {
  switch (metric) {
    case Metric::kL2:
      return p.l2sq;
    case Metric::kInnerProduct:
      return -p.dot;
    case Metric::kCosine:
      return 1.0 - p.cos;
  }
  return NAN;
}

// The documented _score formulas, from the similarity itself (not from the index distance).
double DocumentedScore(ScoreDialect dialect, std::string_view name, const Pair& p) {
  if (dialect == ScoreDialect::kOpenSearch) {
    if (name == "l2") return 1.0 / (1.0 + p.l2sq);
    if (name == "cosinesimil") return (1.0 + p.cos) / 2.0;
    if (name == "innerproduct") return p.dot > 0 ? 1.0 + p.dot : 1.0 / (1.0 - p.dot);
  } else {
    if (name == "l2_norm") return 1.0 / (1.0 + p.l2sq);
    if (name == "cosine") return (1.0 + p.cos) / 2.0;
    if (name == "dot_product") return (1.0 + p.dot) / 2.0;
    if (name == "max_inner_product") return p.dot < 0 ? 1.0 / (1.0 - p.dot) : p.dot + 1.0;
  }
  ADD_FAILURE() << "no documented formula for " << name;
  return NAN;
}

// VectorScore as the engine computed it before the table (mapping.cc), bit for bit.
float ScoreBeforeTheTable(bool elasticsearch, bool max_inner_product, Metric metric, float d) {
  if (elasticsearch) {
    switch (metric) {
      case Metric::kL2:
        return 1.0f / (1.0f + d);
      case Metric::kCosine:
        return (1.0f + (1.0f - d)) / 2.0f;
      case Metric::kInnerProduct: {
        float dot = -d;
        if (!max_inner_product) return (1.0f + dot) / 2.0f;
        return dot < 0 ? 1.0f / (1.0f - dot) : dot + 1.0f;
      }
    }
  }
  switch (metric) {
    case Metric::kL2:
      return 1.0f / (1.0f + d);
    case Metric::kCosine:
      return (2.0f - d) / 2.0f;
    case Metric::kInnerProduct:
      return d < 0 ? 1.0f - d : 1.0f / (1.0f + d);
  }
  return 0.0f;
}

TEST(MetricTable, AcceptedNamesAreExactlyTheSupportedOnes) {
  EXPECT_EQ(SupportedSimilarityNames(ScoreDialect::kOpenSearch), "l2, cosinesimil, innerproduct");
  EXPECT_EQ(SupportedSimilarityNames(ScoreDialect::kElasticsearch),
            "l2_norm, cosine, dot_product, max_inner_product");
  // Each dialect accepts only its own spellings.
  for (std::string_view es_only : {"l2_norm", "cosine", "dot_product", "max_inner_product"}) {
    EXPECT_EQ(FindSimilarity(ScoreDialect::kOpenSearch, es_only), nullptr) << es_only;
  }
  for (std::string_view os_only : {"l2", "cosinesimil", "innerproduct"}) {
    EXPECT_EQ(FindSimilarity(ScoreDialect::kElasticsearch, os_only), nullptr) << os_only;
  }
  for (std::string_view bad : {"", "L2", "ip", "inner_product", "hamming", "cosine "}) {
    EXPECT_EQ(FindSimilarity(ScoreDialect::kOpenSearch, bad), nullptr) << bad;
    EXPECT_EQ(FindSimilarity(ScoreDialect::kElasticsearch, bad), nullptr) << bad;
  }
  EXPECT_EQ(DefaultSimilarity().name, "l2");
  EXPECT_EQ(DefaultSimilarity().dialect, ScoreDialect::kOpenSearch);

  // ParseMetric (the library's own spelling) accepts these nine names and nothing else.
  const std::set<std::string_view> parse_names = {
      "l2",          "l2_norm",           "ip",     "innerproduct", "inner_product",
      "dot_product", "max_inner_product", "cosine", "cosinesimil"};
  for (std::string_view name : parse_names) EXPECT_TRUE(ParseMetric(name).ok()) << name;
  for (std::string_view bad : {"", "L2", "hamming", "cos", "dot"}) {
    EXPECT_EQ(ParseMetric(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ParseMetric("ip").value(), Metric::kInnerProduct);
  EXPECT_EQ(ParseMetric("inner_product").value(), Metric::kInnerProduct);
  EXPECT_EQ(MetricName(Metric::kL2), "l2");
  EXPECT_EQ(MetricName(Metric::kInnerProduct), "ip");
  EXPECT_EQ(MetricName(Metric::kCosine), "cosine");
  EXPECT_EQ(MetricName(Metric(7)), "unknown");
}

TEST(MetricTable, MetricRowsAreInEnumeratorOrder) {
  size_t i = 0;
  for (const MetricInfo& m : AllMetrics()) {
    EXPECT_EQ(static_cast<size_t>(m.metric), i);
    EXPECT_TRUE(IsKnownMetric(static_cast<uint32_t>(i)));
    EXPECT_EQ(&MetricInfoOf(m.metric), &m);
    ++i;
  }
  EXPECT_FALSE(IsKnownMetric(static_cast<uint32_t>(i)));
  EXPECT_FALSE(IsKnownMetric(255));
  EXPECT_TRUE(MetricInfoOf(Metric::kCosine).normalize);
  EXPECT_FALSE(MetricInfoOf(Metric::kL2).normalize);
  EXPECT_FALSE(MetricInfoOf(Metric::kInnerProduct).normalize);
  // Only normalising metrics refuse the zero vector.
  const float zero[3] = {0, 0, 0};
  for (const MetricInfo& m : AllMetrics()) {
    EXPECT_EQ(ValidateVector(zero, 3, 3, m.metric).ok(), !m.normalize) << m.name;
  }
  EXPECT_EQ(ValidateVector(zero, 3, 3, Metric::kCosine).message(),
            "zero vector cannot be used with the cosine metric");
}

// The table's kernel description, the exact flat index and HNSW all give the defined distance.
TEST(MetricTable, KernelAndIndexesComputeTheDefinedDistance) {
  std::mt19937 rng(7);
  constexpr size_t kDim = 12;
  for (const MetricInfo& m : AllMetrics()) {
    for (int trial = 0; trial < 20; ++trial) {
      Pair p = MakePair(&rng, kDim);
      std::vector<float> q(kDim), x(kDim);
      PrepareVector(m, p.q.data(), q.data(), kDim);
      PrepareVector(m, p.x.data(), x.data(), kDim);
      double dot = 0, qn = 0, xn = 0;
      for (size_t i = 0; i < kDim; ++i) {
        dot += double(q[i]) * x[i];
        qn += double(q[i]) * q[i];
        xn += double(x[i]) * x[i];
      }
      const double want = DefinedDistance(m.metric, p);
      EXPECT_NEAR(DistanceFromDot(m, float(dot), float(qn), float(xn)), want, 1e-4) << m.name;

      HnswParams hp;
      hp.code = CodeType::kFloat32;
      auto flat = CreateFlatIndex(kDim, m.metric);
      auto hnsw = CreateHnswIndex(kDim, m.metric, hp);
      ASSERT_TRUE(flat.ok() && hnsw.ok());
      for (VectorIndex* index : {flat->get(), hnsw->get()}) {
        ASSERT_TRUE(index->Add(1, p.x.data()).ok());
        SearchParams sp;
        sp.k = 1;
        std::vector<SearchHit> hits;
        ASSERT_TRUE(index->Search(p.q.data(), sp, &hits).ok());
        ASSERT_EQ(hits.size(), 1u);
        EXPECT_NEAR(hits[0].distance, want, 1e-4) << m.name << " " << index->Stats().kind;
      }
    }
  }
}

TEST(MetricTable, EverySimilarityScoresAsDocumentedAndInverts) {
  std::mt19937 rng(11);
  constexpr size_t kDim = 8;
  for (const VectorSimilarity& s : AllSimilarities()) {
    SCOPED_TRACE(std::string(s.name));
    // parse-name: the mapping spelling finds this row and the library spelling its metric.
    EXPECT_EQ(FindSimilarity(s.dialect, s.name), &s);
    ASSERT_TRUE(ParseMetric(s.name).ok());
    EXPECT_EQ(ParseMetric(s.name).value(), s.metric);
    int negative_dots = 0;
    for (int trial = 0; trial < 200; ++trial) {
      Pair p = MakePair(&rng, kDim);
      negative_dots += p.dot < 0;
      const float d = static_cast<float>(DefinedDistance(s.metric, p));
      const double want = DocumentedScore(s.dialect, s.name, p);
      const float score = s.score(d);
      EXPECT_NEAR(score, want, 1e-5 * std::max(1.0, std::fabs(want))) << "d=" << d;
      // Unchanged, bit for bit, from the switch the table replaced.
      const bool es = s.dialect == ScoreDialect::kElasticsearch;
      EXPECT_EQ(std::bit_cast<uint32_t>(score),
                std::bit_cast<uint32_t>(
                    ScoreBeforeTheTable(es, s.name == "max_inner_product", s.metric, d)))
          << "d=" << d;
      // The inverse gives the distance back (min_score / radius thresholds).
      const float back = s.distance_for_score(score);
      EXPECT_NEAR(back, d, 1e-4 * std::max(1.0f, std::fabs(d))) << "score=" << score;
      // Scores fall as the distance grows.
      EXPECT_GE(score, s.score(d + 0.25f)) << "d=" << d;
    }
    EXPECT_GT(negative_dots, 0) << "both branches of the piecewise formulas are covered";
  }
}

TEST(MetricTable, ThresholdsOutsideTheScoreRange) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const VectorSimilarity* l2 = FindSimilarity(ScoreDialect::kOpenSearch, "l2");
  const VectorSimilarity* ip = FindSimilarity(ScoreDialect::kOpenSearch, "innerproduct");
  const VectorSimilarity* mip = FindSimilarity(ScoreDialect::kElasticsearch, "max_inner_product");
  const VectorSimilarity* cos = FindSimilarity(ScoreDialect::kElasticsearch, "cosine");
  ASSERT_TRUE(l2 && ip && mip && cos);
  // A threshold at or below every possible score admits every distance.
  EXPECT_EQ(l2->distance_for_score(0.0f), kInf);
  EXPECT_EQ(ip->distance_for_score(-1.0f), kInf);
  EXPECT_EQ(mip->distance_for_score(0.0f), kInf);
  EXPECT_GE(cos->distance_for_score(0.0f), 2.0f);  // cosine distances end at 2
  // One above every possible score admits none: below the smallest distance.
  EXPECT_LT(l2->distance_for_score(1.5f), 0.0f);
  EXPECT_LT(cos->distance_for_score(1.5f), 0.0f);
}

}  // namespace
}  // namespace lookalike
