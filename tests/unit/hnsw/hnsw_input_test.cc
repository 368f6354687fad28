// Bad input: InvalidArgument with a message, never a crash or a changed index.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string_view>

#include "test_data.h"

namespace lookalike {
namespace {

TEST(HnswInput, BadParametersAreRejected) {
  HnswParams p;
  EXPECT_TRUE(CreateHnswIndex(0, Metric::kL2, p).status().IsInvalidArgument());
  p.m = 1;
  EXPECT_TRUE(CreateHnswIndex(4, Metric::kL2, p).status().IsInvalidArgument());
  p = {};
  p.ef_construction = 0;
  EXPECT_TRUE(CreateHnswIndex(4, Metric::kL2, p).status().IsInvalidArgument());
  p = {};
  p.rerank_factor = 0.5f;
  EXPECT_TRUE(CreateHnswIndex(4, Metric::kL2, p).status().IsInvalidArgument());
  p = {};
  p.rerank_factor = std::nanf("");
  EXPECT_TRUE(CreateHnswIndex(4, Metric::kL2, p).status().IsInvalidArgument());
}

TEST(HnswInput, UnknownMetricAndCodeTypeNameTheProblem) {
  auto metric = ParseMetric("hamming2");
  ASSERT_TRUE(metric.status().IsInvalidArgument());
  EXPECT_NE(metric.status().message().find("unknown metric 'hamming2'"), std::string::npos);
  auto code = ParseCodeType("int4");
  ASSERT_TRUE(code.status().IsInvalidArgument());
  EXPECT_NE(code.status().message().find("unknown code type 'int4'"), std::string::npos);
  for (std::string_view name : {"l2", "l2_norm", "cosine", "cosinesimil", "ip", "innerproduct",
                                "dot_product", "max_inner_product"}) {
    EXPECT_TRUE(ParseMetric(name).ok()) << name;
  }
  // An out-of-range enum value (e.g. read from a damaged config) is refused by both kinds.
  auto bad = static_cast<Metric>(7);
  auto hnsw = CreateHnswIndex(4, bad, HnswParams{});
  ASSERT_TRUE(hnsw.status().IsInvalidArgument());
  EXPECT_NE(hnsw.status().message().find("metric"), std::string::npos);
  auto flat = CreateFlatIndex(4, bad);
  ASSERT_TRUE(flat.status().IsInvalidArgument());
  EXPECT_NE(flat.status().message().find("metric"), std::string::npos);
  HnswParams p;
  p.code = static_cast<CodeType>(9);
  EXPECT_TRUE(CreateHnswIndex(4, Metric::kL2, p).status().IsInvalidArgument());
}

TEST(HnswInput, BadVectorsAndQueries) {
  const size_t d = 4;
  auto index = std::move(CreateHnswIndex(d, Metric::kCosine, HnswParams{})).value();
  float good[d] = {1, 2, 3, 4};
  float nan[d] = {1, std::nanf(""), 3, 4};
  float inf[d] = {1, std::numeric_limits<float>::infinity(), 3, 4};
  float zero[d] = {0, 0, 0, 0};
  ASSERT_TRUE(index->Add(1, good).ok());
  EXPECT_TRUE(index->Add(2, nan).IsInvalidArgument());
  EXPECT_TRUE(index->Add(2, inf).IsInvalidArgument());
  Status zs = index->Add(2, zero);
  EXPECT_TRUE(zs.IsInvalidArgument());
  EXPECT_NE(zs.message().find("zero"), std::string::npos);
  float batch[2 * d] = {1, 2, 3, 4, 1, std::nanf(""), 0, 0};
  uint64_t labels[2] = {10, 11};
  EXPECT_TRUE(index->AddBatch(2, labels, batch, 1).IsInvalidArgument());
  EXPECT_EQ(index->size(), 1u);  // a rejected batch inserts nothing
  EXPECT_FALSE(index->Contains(10));
  EXPECT_TRUE(ValidateVector(good, 3, d, Metric::kCosine).IsInvalidArgument());

  std::vector<SearchHit> out;
  SearchParams sp;
  sp.k = 0;
  EXPECT_TRUE(index->Search(good, sp, &out).IsInvalidArgument());
  sp.k = 10001;
  EXPECT_TRUE(index->Search(good, sp, &out).IsInvalidArgument());
  sp.k = 10;
  sp.ef_search = 5;
  Status ef = index->Search(good, sp, &out);
  EXPECT_TRUE(ef.IsInvalidArgument());
  EXPECT_NE(ef.message().find("ef_search"), std::string::npos);
  sp.ef_search = -1;
  EXPECT_TRUE(index->Search(good, sp, &out).IsInvalidArgument());
  sp = {};
  EXPECT_TRUE(index->Search(nan, sp, &out).IsInvalidArgument());
  EXPECT_TRUE(index->Search(zero, sp, &out).IsInvalidArgument());
  sp.rerank_factor = -1;
  EXPECT_TRUE(index->Search(good, sp, &out).IsInvalidArgument());
  sp = {};
  sp.k = 10000;
  ASSERT_TRUE(index->Search(good, sp, &out).ok());
  EXPECT_EQ(out.size(), 1u);
  EXPECT_TRUE(index->Remove(12345).IsNotFound());
}

}  // namespace
}  // namespace lookalike
