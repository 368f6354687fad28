// The near-duplicate report: planted groups of perturbed copies among random vectors are found
// exactly, on the flat index, HNSW with float32 and with int8 codes; groups are complete-linkage
// clusters (no chaining); the engine call maps labels to ids, leaves deleted documents out and
// orders its output; the REST body codec refuses what it does not understand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "engine/near_duplicates.h"
#include "engine_test_util.h"
#include "server/es/index_codec.h"
#include "server/es/near_duplicates_codec.h"

namespace lookalike::testing {
namespace {

constexpr size_t kDim = 48;
// Elasticsearch's cosine _score, (1 + cos) / 2, from the cosine distance 1 - cos.
float CosineScore(float d) { return (2.0f - d) / 2.0f; }
float NegativeDistance(float d) { return -d; }

// `n` random vectors; `groups` of them (sizes 2..5) are replaced by small perturbations of one
// base vector. Returns the planted groups as sorted label lists.
struct Planted {
  std::vector<std::vector<float>> vectors;
  std::set<std::vector<uint64_t>> groups;
};
Planted PlantDuplicates(size_t n, size_t groups, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  Planted p;
  p.vectors.resize(n, std::vector<float>(kDim));
  for (auto& v : p.vectors) {
    for (float& x : v) x = g(rng);
  }
  std::vector<uint64_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  size_t next = 0;
  for (size_t k = 0; k < groups; ++k) {
    size_t size = 2 + k % 4;
    std::vector<uint64_t> members(order.begin() + next, order.begin() + next + size);
    next += size;
    const std::vector<float> base = p.vectors[members[0]];
    for (uint64_t m : members) {
      for (size_t i = 0; i < kDim; ++i) p.vectors[m][i] = base[i] + 0.08f * g(rng);
    }
    std::sort(members.begin(), members.end());
    p.groups.insert(members);
  }
  return p;
}

std::unique_ptr<VectorIndex> Filled(std::unique_ptr<VectorIndex> index, const Planted& p) {
  for (size_t i = 0; i < p.vectors.size(); ++i) {
    EXPECT_TRUE(index->Add(i, p.vectors[i].data()).ok());
  }
  return index;
}

std::vector<uint64_t> AllLabels(size_t n) {
  std::vector<uint64_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = i;
  return labels;
}

void ExpectFindsPlanted(const VectorIndex& index, const Planted& p) {
  NearDuplicateOptions options;
  auto labels = AllLabels(p.vectors.size());
  auto found = engine::GroupNearDuplicateLabels(index, labels, CosineScore, 0.97f, options);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  std::set<std::vector<uint64_t>> groups;
  for (const auto& g : found->groups) {
    EXPECT_GE(g.min_score, 0.97f);
    groups.insert(g.labels);
  }
  EXPECT_EQ(groups, p.groups);
}

HnswParams Hnsw(CodeType code) {
  HnswParams params;
  params.code = code;
  params.build_threads = 1;
  return params;
}

TEST(NearDuplicateGroups, FlatFindsPlantedGroups) {
  Planted p = PlantDuplicates(3000, 40, 1);
  auto index = Filled(CreateFlatIndex(kDim, Metric::kCosine).value(), p);
  ExpectFindsPlanted(*index, p);
}

TEST(NearDuplicateGroups, HnswFindsPlantedGroups) {
  Planted p = PlantDuplicates(3000, 40, 2);
  auto index = Filled(CreateHnswIndex(kDim, Metric::kCosine, Hnsw(CodeType::kFloat32)).value(), p);
  ExpectFindsPlanted(*index, p);
}

TEST(NearDuplicateGroups, HnswInt8FindsPlantedGroups) {
  Planted p = PlantDuplicates(3000, 40, 3);
  auto index = Filled(CreateHnswIndex(kDim, Metric::kCosine, Hnsw(CodeType::kInt8)).value(), p);
  ExpectFindsPlanted(*index, p);
}

TEST(NearDuplicateGroups, RemovedLabelsAreNotReported) {
  Planted p = PlantDuplicates(500, 10, 4);
  auto index = Filled(CreateHnswIndex(kDim, Metric::kCosine, Hnsw(CodeType::kFloat32)).value(), p);
  // Remove one member of every planted group: pairs become singletons and vanish.
  std::set<std::vector<uint64_t>> expected;
  for (const auto& g : p.groups) {
    ASSERT_TRUE(index->Remove(g[0]).ok());
    if (g.size() > 2) expected.insert(std::vector<uint64_t>(g.begin() + 1, g.end()));
  }
  auto labels = AllLabels(p.vectors.size());
  auto found = engine::GroupNearDuplicateLabels(*index, labels, CosineScore, 0.97f, {});
  ASSERT_TRUE(found.ok());
  std::set<std::vector<uint64_t>> groups;
  for (const auto& g : found->groups) groups.insert(g.labels);
  EXPECT_EQ(groups, expected);
}

// Three points on a line, 1 apart, threshold 1.5 (squared L2): 0~1 and 1~2 but not 0~2. A
// connected component would chain all three; a group must not.
TEST(NearDuplicateGroups, GroupsDoNotChain) {
  auto index = CreateFlatIndex(2, Metric::kL2).value();
  const float points[3][2] = {{0, 0}, {1, 0}, {2, 0}};
  for (uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(index->Add(i, points[i]).ok());
  auto labels = AllLabels(3);
  auto found = engine::GroupNearDuplicateLabels(*index, labels, NegativeDistance, -1.5f, {});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->groups.size(), 1u);
  EXPECT_EQ(found->groups[0].labels, (std::vector<uint64_t>{0, 1}));  // ties: lowest pair first
  EXPECT_FLOAT_EQ(found->groups[0].min_score, -1.0f);
  EXPECT_EQ(found->pairs, 2u);
}

// A group larger than the first k: the search widens until it has seen them all.
TEST(NearDuplicateGroups, LargeGroupBeyondFirstK) {
  Planted p = PlantDuplicates(400, 0, 5);
  std::mt19937 rng(9);
  std::normal_distribution<float> g;
  std::vector<uint64_t> big;
  for (uint64_t i = 0; i < 40; ++i) {
    big.push_back(i * 10);
    for (size_t d = 0; d < kDim; ++d) p.vectors[i * 10][d] = p.vectors[0][d] + 0.05f * g(rng);
  }
  auto index = Filled(CreateFlatIndex(kDim, Metric::kCosine).value(), p);
  NearDuplicateOptions options;
  options.neighbors = 4;
  auto labels = AllLabels(p.vectors.size());
  auto found = engine::GroupNearDuplicateLabels(*index, labels, CosineScore, 0.97f, options);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->groups.size(), 1u);
  EXPECT_EQ(found->groups[0].labels, big);
  EXPECT_EQ(found->pairs, 40u * 39 / 2);
}

TEST(NearDuplicateGroups, TooManyPairsIsRefused) {
  Planted p = PlantDuplicates(300, 0, 6);
  auto index = Filled(CreateFlatIndex(kDim, Metric::kCosine).value(), p);
  NearDuplicateOptions options;
  options.max_pairs = 100;
  auto labels = AllLabels(p.vectors.size());
  auto found = engine::GroupNearDuplicateLabels(*index, labels, CosineScore, 0.0f, options);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().kind(), ErrorKind::kInvalidValue);
  EXPECT_NE(found.status().message().find("too low"), std::string::npos);
}

// ---- Through the engine --------------------------------------------------------------------

std::string VectorJson(const std::vector<float>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

class EngineNearDuplicates : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    engine_ = OpenEngine(dir_.path());
    std::string body = R"({"settings":{"index.knn":true},"mappings":{"properties":{
        "v":{"type":"knn_vector","dimension":48,"method":{"name":")" +
                       std::string(GetParam()) + R"(","space_type":"cosinesimil"}},
        "tag":{"type":"keyword"}}}})";
    ASSERT_TRUE(es::CreateIndexJson(*engine_, "photos", body).ok());
    planted_ = PlantDuplicates(600, 12, 7);
    std::string bulk;
    for (size_t i = 0; i < planted_.vectors.size(); ++i) {
      bulk += R"({"index":{"_id":"doc)" + std::to_string(i) + "\"}}\n";
      bulk += R"({"tag":"x","v":)" + VectorJson(planted_.vectors[i]) + "}\n";
    }
    auto r = Bulk(*engine_, "photos", bulk, RefreshPolicy::kTrue);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(Json(*r).At("/errors").get_bool().value());
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  Planted planted_;
};

TEST_P(EngineNearDuplicates, ReportsPlantedGroupsAsSortedIds) {
  // Delete one member of the first planted group of 3+: it must not be reported.
  std::string deleted;
  for (const auto& g : planted_.groups) {
    if (g.size() >= 3) {
      deleted = "doc" + std::to_string(g[0]);
      break;
    }
  }
  ASSERT_TRUE(engine_->DeleteDocument("photos", deleted, RefreshPolicy::kTrue).ok());

  auto report = engine_->FindNearDuplicates("photos", "v", 0.97f);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->docs_scanned, 599u);
  std::set<std::vector<std::string>> expected;
  for (const auto& g : planted_.groups) {
    std::vector<std::string> ids;
    for (uint64_t m : g) {
      if ("doc" + std::to_string(m) != deleted) ids.push_back("doc" + std::to_string(m));
    }
    std::sort(ids.begin(), ids.end());
    expected.insert(ids);
  }
  std::set<std::vector<std::string>> got;
  for (size_t i = 0; i < report->groups.size(); ++i) {
    const auto& g = report->groups[i];
    EXPECT_TRUE(std::is_sorted(g.ids.begin(), g.ids.end()));
    EXPECT_EQ(g.doc_count, g.ids.size());
    EXPECT_GE(g.min_score, 0.97f);
    if (i > 0) EXPECT_GE(report->groups[i - 1].doc_count, g.doc_count);  // largest first
    got.insert(g.ids);
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(report->total_groups, expected.size());

  // The same report through the default field (the only vector field), truncated.
  NearDuplicateOptions options;
  options.max_groups = 2;
  options.max_group_size = 2;
  auto small = engine_->FindNearDuplicates("photos", "", 0.97f, options);
  ASSERT_TRUE(small.ok());
  ASSERT_EQ(small->groups.size(), 2u);
  EXPECT_EQ(small->total_groups, expected.size());
  EXPECT_EQ(small->groups[0].doc_count, report->groups[0].doc_count);
  EXPECT_EQ(small->groups[0].ids.size(), 2u);
}

TEST_P(EngineNearDuplicates, Errors) {
  auto missing = engine_->FindNearDuplicates("nope", "v", 0.9f);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), ErrorKind::kIndexNotFound);
  auto not_vector = engine_->FindNearDuplicates("photos", "tag", 0.9f);
  ASSERT_FALSE(not_vector.ok());
  EXPECT_EQ(not_vector.status().kind(), ErrorKind::kInvalidValue);
  auto nan = engine_->FindNearDuplicates("photos", "v", NAN);
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.status().kind(), ErrorKind::kInvalidValue);
}

INSTANTIATE_TEST_SUITE_P(Methods, EngineNearDuplicates, ::testing::Values("flat", "hnsw"));

// ---- The REST body codec -------------------------------------------------------------------

TEST(NearDuplicatesCodec, ParsesAndRefuses) {
  auto ok = es::ParseNearDuplicatesBody(
      R"({"field":"v","min_score":0.95,"max_groups":5,"size":3})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->field, "v");
  EXPECT_FLOAT_EQ(ok->min_score, 0.95f);
  EXPECT_EQ(ok->options.max_groups, 5u);
  EXPECT_EQ(ok->options.max_group_size, 3u);
  auto defaults = es::ParseNearDuplicatesBody(R"({"min_score":1})");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->field, "");
  EXPECT_EQ(defaults->options.max_groups, es::kDefaultNearDuplicateGroups);
  for (const char* bad : {"", "[]", "{", R"({"field":"v"})", R"({"min_score":"x"})",
                          R"({"min_score":0.9,"max_groups":-1})", R"({"min_score":0.9,"size":1.5})",
                          R"({"min_score":0.9,"field":3})", R"({"min_score":0.9,"k":3})",
                          R"({"min_score":1e999})"}) {
    auto r = es::ParseNearDuplicatesBody(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().kind(), ErrorKind::kMalformedRequest) << bad;
  }
}

TEST(NearDuplicatesCodec, Renders) {
  NearDuplicateReport report;
  report.total_groups = 3;
  report.docs_scanned = 10;
  report.pairs = 4;
  report.groups.push_back({{"a", "b"}, 2, 0.5f});
  Json json(es::RenderNearDuplicates(report));
  EXPECT_EQ(json.Int("/total_groups"), 3);
  EXPECT_EQ(json.Str("/groups/0/ids/1"), "b");
  EXPECT_EQ(json.Int("/groups/0/doc_count"), 2);
  EXPECT_EQ(json.At("/groups/0/min_score").get_double().value(), 0.5);
}

}  // namespace
}  // namespace lookalike::testing
