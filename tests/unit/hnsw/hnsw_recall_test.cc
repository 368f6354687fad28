// Recall of the HNSW index against brute force, for every metric and code type.
#include <gtest/gtest.h>

#include "test_data.h"

namespace lookalike {
namespace {
using namespace testing_data;

struct RecallCase {
  Metric metric;
  CodeType code;
  size_t n, d;
  float rerank;
  double min_recall;
};

double RunRecall(const RecallCase& c, int ef = 64) {
  HnswParams p;
  p.code = c.code;
  p.rerank_factor = c.rerank;
  p.ef_construction = 100;
  auto created = CreateHnswIndex(c.d, c.metric, p);
  EXPECT_TRUE(created.ok());
  auto index = std::move(created).value();
  auto x = Clustered(c.n, c.d, 11);
  auto labels = Iota(c.n, 1000);
  EXPECT_TRUE(index->AddBatch(c.n, labels.data(), x.data(), 2).ok());
  EXPECT_EQ(index->size(), c.n);
  auto queries = Clustered(100, c.d, 12);
  auto truth = BruteForce(c.metric, x, labels, queries, c.d, 10, [](uint64_t) { return true; });
  std::vector<std::vector<SearchHit>> got(100);
  SearchParams sp;
  sp.k = 10;
  sp.ef_search = ef;
  for (size_t q = 0; q < 100; ++q) {
    EXPECT_TRUE(index->Search(&queries[q * c.d], sp, &got[q]).ok());
    EXPECT_EQ(got[q].size(), 10u);
    for (size_t i = 1; i < got[q].size(); ++i) EXPECT_LE(got[q][i - 1].distance, got[q][i].distance);
  }
  return Recall(truth, got);
}

TEST(HnswRecall, Int8Cosine20k) {
  EXPECT_GE(RunRecall({Metric::kCosine, CodeType::kInt8, 20000, 64, 3, 0.95}), 0.95);
}
TEST(HnswRecall, Int8L2) {
  EXPECT_GE(RunRecall({Metric::kL2, CodeType::kInt8, 5000, 48, 3, 0.95}), 0.95);
}
TEST(HnswRecall, Int8InnerProduct) {
  EXPECT_GE(RunRecall({Metric::kInnerProduct, CodeType::kInt8, 5000, 48, 3, 0.95}, 128), 0.95);
}
TEST(HnswRecall, Float32) {
  for (Metric m : {Metric::kL2, Metric::kCosine, Metric::kInnerProduct}) {
    EXPECT_GE(RunRecall({m, CodeType::kFloat32, 4000, 32, 1, 0.95}, 96), 0.95) << MetricName(m);
  }
}
TEST(HnswRecall, Fp16) {
  for (Metric m : {Metric::kL2, Metric::kCosine, Metric::kInnerProduct}) {
    EXPECT_GE(RunRecall({m, CodeType::kFloat16, 4000, 32, 2, 0.95}, 96), 0.95) << MetricName(m);
  }
}
TEST(HnswRecall, Binary) {
  // 1-bit codes rank coarsely; a wide rerank recovers the exact order.
  for (Metric m : {Metric::kL2, Metric::kCosine, Metric::kInnerProduct}) {
    EXPECT_GE(RunRecall({m, CodeType::kBinary, 3000, 256, 10, 0.9}, 128), 0.9) << MetricName(m);
  }
}
TEST(HnswRecall, Dim1280) {
  EXPECT_GE(RunRecall({Metric::kCosine, CodeType::kInt8, 2000, 1280, 3, 0.95}), 0.95);
}

TEST(HnswRecall, SingleAddsMatchBatch) {
  // One-at-a-time inserts (quantizer retrained as the index grows) reach the same recall.
  const size_t n = 3000, d = 32;
  auto created = CreateHnswIndex(d, Metric::kL2, HnswParams{});
  ASSERT_TRUE(created.ok());
  auto index = std::move(created).value();
  auto x = Clustered(n, d, 21);
  for (size_t i = 0; i < n; ++i) ASSERT_TRUE(index->Add(i, &x[i * d]).ok());
  auto queries = Clustered(50, d, 22);
  auto truth = BruteForce(Metric::kL2, x, Iota(n), queries, d, 10, [](uint64_t) { return true; });
  std::vector<std::vector<SearchHit>> got(50);
  for (size_t q = 0; q < 50; ++q) ASSERT_TRUE(index->Search(&queries[q * d], {}, &got[q]).ok());
  EXPECT_GE(Recall(truth, got), 0.95);
  // Exact distances are reported (rerank against float32).
  EXPECT_NEAR(got[0][0].distance, Distance(Metric::kL2, &queries[0], &x[got[0][0].label * d], d),
              1e-3);
}

TEST(HnswRecall, EmptyAndTiny) {
  auto index = std::move(CreateHnswIndex(8, Metric::kL2, HnswParams{})).value();
  std::vector<float> q(8, 1.0f);
  std::vector<SearchHit> out;
  ASSERT_TRUE(index->Search(q.data(), {}, &out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(index->Add(7, q.data()).ok());
  ASSERT_TRUE(index->Search(q.data(), {}, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].label, 7u);
  EXPECT_NEAR(out[0].distance, 0, 1e-6);
  auto stats = index->Stats();
  EXPECT_EQ(stats.kind, "hnsw");
  EXPECT_EQ(stats.live, 1u);
  EXPECT_FALSE(stats.isa.empty());
}

}  // namespace
}  // namespace lookalike
