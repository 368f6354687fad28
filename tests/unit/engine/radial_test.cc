// Radial knn search through the codec and the engine in both dialects (OpenSearch max_distance /
// min_score, Elasticsearch knn.similarity) against brute force, with filters; rescoring keys;
// the 400s of bad combinations.
#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

constexpr int kDocs = 3000;
constexpr int kDim = 16;

std::string Num(double x) {
  char buf[40];
  snprintf(buf, sizeof(buf), "%.9g", x);
  return buf;
}

class RadialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine(dir_.path());
    // vec: HNSW over int8 codes (l2); emb: Elasticsearch cosine (int8_hnsw); flat: exact l2.
    ASSERT_TRUE(es::CreateIndexJson(*engine_, "r", R"({"settings":{"index":{"knn":true}},
        "mappings":{"properties":{
          "vec":{"type":"knn_vector","dimension":16,"method":{"name":"hnsw","space_type":"l2",
                 "parameters":{"m":16,"ef_construction":100}}},
          "flat":{"type":"knn_vector","dimension":16,"space_type":"l2","method":{"name":"flat"}},
          "emb":{"type":"dense_vector","dims":16,"similarity":"cosine"},
          "cat":{"type":"keyword"}}}})")
                    .ok());
    std::mt19937 rng(3);
    std::normal_distribution<float> g;
    std::string bulk;
    for (int i = 0; i < kDocs; ++i) {
      std::vector<float> v(kDim);
      for (auto& x : v) x = g(rng);
      vecs_.push_back(v);
      bulk += "{\"index\":{\"_id\":\"" + std::to_string(i) + "\"}}\n";
      bulk += "{\"vec\":" + VectorJson(v) + ",\"flat\":" + VectorJson(v) + ",\"emb\":" + VectorJson(v) +
              ",\"cat\":\"c" + std::to_string(i % 4) + "\"}\n";
      if (i % 1000 == 999) {
        auto r = Bulk(*engine_, "r", bulk, RefreshPolicy::kFalse);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        bulk.clear();
      }
    }
    ASSERT_TRUE(es::RefreshJson(*engine_, "r").ok());
  }

  std::vector<float> Query(uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g;
    std::vector<float> q(kDim);
    for (auto& x : q) x = g(rng);
    return q;
  }

  // (squared l2, id) of every doc passing `keep`, ascending.
  template <typename Keep>
  std::vector<std::pair<double, int>> SortedL2(const std::vector<float>& q, Keep keep) {
    std::vector<std::pair<double, int>> d;
    for (int i = 0; i < kDocs; ++i) {
      if (!keep(i)) continue;
      double s = 0;
      for (int j = 0; j < kDim; ++j) s += double(q[j] - vecs_[i][j]) * (q[j] - vecs_[i][j]);
      d.emplace_back(s, i);
    }
    std::sort(d.begin(), d.end());
    return d;
  }

  // (cosine similarity, id), descending.
  std::vector<std::pair<double, int>> SortedCosine(const std::vector<float>& q) {
    std::vector<std::pair<double, int>> d;
    for (int i = 0; i < kDocs; ++i) {
      double dot = 0, qq = 0, xx = 0;
      for (int j = 0; j < kDim; ++j) {
        dot += double(q[j]) * vecs_[i][j];
        qq += double(q[j]) * q[j];
        xx += double(vecs_[i][j]) * vecs_[i][j];
      }
      d.emplace_back(dot / std::sqrt(qq * xx), i);
    }
    std::sort(d.rbegin(), d.rend());
    return d;
  }

  // Share of `truth` found; every hit must be in `truth`; total must count the hits.
  double Check(const std::string& response, const std::set<std::string>& truth) {
    Json j(response);
    auto ids = HitIds(response);
    EXPECT_EQ(j.Int("/hits/total/value"), static_cast<int64_t>(ids.size()));
    size_t found = 0;
    for (const auto& id : ids) {
      EXPECT_TRUE(truth.count(id)) << "doc " << id << " is outside the radius";
      found += truth.count(id);
    }
    return truth.empty() ? 1.0 : double(found) / truth.size();
  }

  static std::set<std::string> Ids(const std::vector<std::pair<double, int>>& sorted, size_t n) {
    std::set<std::string> out;
    for (size_t i = 0; i < n; ++i) out.insert(std::to_string(sorted[i].second));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::vector<std::vector<float>> vecs_;
};

TEST_F(RadialTest, OpenSearchMaxDistanceAndMinScoreFindEveryDocWithinTheRadius) {
  double recall = 0;
  int runs = 0;
  for (uint32_t t = 0; t < 8; ++t) {
    auto q = Query(100 + t);
    for (const bool filtered : {false, true}) {
      auto keep = [&](int i) { return !filtered || i % 4 == 1; };
      auto sorted = SortedL2(q, keep);
      const size_t inside = 10 + 40 * t;  // 10 … 290: several rounds of the growing search
      const double radius = (sorted[inside - 1].first + sorted[inside].first) / 2;
      const auto truth = Ids(sorted, inside);
      const std::string filter = filtered ? R"(,"filter":{"term":{"cat":"c1"}})" : "";
      for (const char* field : {"vec", "flat"}) {
        for (const std::string& reach :
             {"\"max_distance\":" + Num(radius), "\"min_score\":" + Num(1.0 / (1.0 + radius))}) {
          auto r = SearchJson(*engine_, "r",
                              std::string("{\"size\":1000,\"_source\":false,") +
                                  "\"query\":{\"knn\":{\"" + field +
                                  "\":{\"vector\":" + VectorJson(q) + "," + reach + filter + "}}}}");
          ASSERT_TRUE(r.ok()) << r.status().ToString();
          const double found = Check(*r, truth);
          if (std::string(field) == "flat") {
            EXPECT_EQ(found, 1.0) << reach;  // the flat index scans exactly
          }
          recall += found;
          ++runs;
        }
      }
    }
  }
  EXPECT_GE(recall / runs, 0.95);
}

TEST_F(RadialTest, ScoresFollowTheSpaceFormula) {
  auto q = Query(7);
  auto sorted = SortedL2(q, [](int) { return true; });
  const double radius = (sorted[4].first + sorted[5].first) / 2;
  auto r = SearchJson(*engine_, "r",
                      "{\"query\":{\"knn\":{\"vec\":{\"vector\":" + VectorJson(q) +
                          ",\"max_distance\":" + Num(radius) + "}}}}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Json j(*r);
  ASSERT_EQ(HitIds(*r).size(), 5u);
  for (int i = 0; i < 5; ++i) {
    const std::string ptr = "/hits/hits/" + std::to_string(i) + "/_score";
    EXPECT_NEAR(j.At(ptr.c_str()).get_double().value(), 1.0 / (1.0 + sorted[i].first), 1e-5);
  }
}

// The radial cap (the index's max_result_window) cuts a search whose radius holds more
// documents: the total says "at least" (gte); under the cap it stays an exact count (eq).
TEST_F(RadialTest, TotalIsALowerBoundOnceTheCapCutsTheRadius) {
  ASSERT_TRUE(es::UpdateSettingsJson(*engine_, "r", R"({"index":{"max_result_window":40}})").ok());
  auto q = Query(9);
  auto sorted = SortedL2(q, [](int) { return true; });
  for (const auto& [inside, relation] :
       {std::pair<size_t, const char*>{100, "gte"}, {20, "eq"}}) {
    const double radius = (sorted[inside - 1].first + sorted[inside].first) / 2;
    for (const char* field : {"vec", "flat"}) {
      for (const std::string& filter : {std::string(), std::string(R"(,"filter":{"match_all":{}})")}) {
        auto r = SearchJson(*engine_, "r",
                            std::string("{\"size\":40,\"_source\":false,\"query\":{\"knn\":{\"") +
                                field + "\":{\"vector\":" + VectorJson(q) +
                                ",\"max_distance\":" + Num(radius) + filter + "}}}}");
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        Json j(*r);
        EXPECT_EQ(j.Str("/hits/total/relation"), relation) << field << " inside " << inside;
        EXPECT_EQ(j.Int("/hits/total/value"), static_cast<int64_t>(std::min<size_t>(inside, 40)))
            << field;
      }
    }
  }
  // Under a bool query the cut still shows.
  const double radius = (sorted[99].first + sorted[100].first) / 2;
  auto r = SearchJson(*engine_, "r",
                      "{\"size\":0,\"query\":{\"bool\":{\"must\":[{\"knn\":{\"flat\":{\"vector\":" +
                          VectorJson(q) + ",\"max_distance\":" + Num(radius) + "}}}]}}}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Json(*r).Str("/hits/total/relation"), "gte");
}

TEST_F(RadialTest, ElasticsearchSimilarityIsTheRawSimilarityAndKeepsK) {
  auto q = Query(11);
  // cosine: docs with cos >= similarity, at most k.
  auto cos = SortedCosine(q);
  const double sim = (cos[24].first + cos[25].first) / 2;  // 25 docs reach it
  for (const auto& [k, expect] : {std::pair<int, size_t>{100, 25}, {10, 10}}) {
    auto r = SearchJson(*engine_, "r",
                        "{\"size\":200,\"_source\":false,\"knn\":{\"field\":\"emb\","
                        "\"query_vector\":" +
                            VectorJson(q) + ",\"k\":" + std::to_string(k) +
                            ",\"num_candidates\":200,"
                            "\"similarity\":" +
                            Num(sim) + "}}");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_GE(Check(*r, Ids(cos, expect)), 0.95) << "k " << k;
    EXPECT_LE(HitIds(*r).size(), expect);
  }
  // l2 field: similarity is the (not squared) Euclidean distance.
  auto l2 = SortedL2(q, [](int) { return true; });
  const double dist = std::sqrt((l2[14].first + l2[15].first) / 2);
  auto r = SearchJson(*engine_, "r",
                      "{\"size\":100,\"_source\":false,\"knn\":{\"field\":\"flat\","
                      "\"query_vector\":" +
                          VectorJson(q) +
                          ",\"k\":100,"
                          "\"similarity\":" +
                          Num(dist) + "}}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Check(*r, Ids(l2, 15)), 1.0);
}

TEST_F(RadialTest, RescoreKeysAreAccepted) {
  auto q = Query(5);
  const std::string v = VectorJson(q);
  for (const std::string& rescore :
       {std::string("false"), std::string("true"), std::string("{\"oversample_factor\":2.5}")}) {
    auto r = SearchJson(*engine_, "r",
                        "{\"query\":{\"knn\":{\"vec\":{\"vector\":" + v +
                            ",\"k\":5,\"rescore\":" + rescore + "}}}}");
    ASSERT_TRUE(r.ok()) << rescore << r.status().ToString();
    EXPECT_EQ(HitIds(*r).size(), 5u);
  }
  for (const char* oversample : {"0", "1", "3.5", "10"}) {
    auto r = SearchJson(*engine_, "r",
                        "{\"knn\":{\"field\":\"emb\",\"query_vector\":" + v +
                            ",\"k\":5,\"rescore_vector\":{\"oversample\":" + oversample + "}}}");
    ASSERT_TRUE(r.ok()) << oversample << r.status().ToString();
    EXPECT_EQ(HitIds(*r).size(), 5u);
  }
  // With rescoring the top hit's score is the float32 score of the query's nearest doc.
  auto sorted = SortedL2(q, [](int) { return true; });
  auto r = SearchJson(*engine_, "r",
                      "{\"query\":{\"knn\":{\"vec\":{\"vector\":" + v +
                          ",\"k\":5,\"rescore\":{\"oversample_factor\":3}}}}}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(HitIds(*r)[0], std::to_string(sorted[0].second));
  EXPECT_NEAR(Json(*r).At("/hits/hits/0/_score").get_double().value(),
              1.0 / (1.0 + sorted[0].first), 1e-5);
}

TEST_F(RadialTest, BadCombinationsAre400s) {
  const std::string v = VectorJson(Query(1));
  const std::string os = "{\"query\":{\"knn\":{\"vec\":{\"vector\":" + v;
  const std::string es = "{\"knn\":{\"field\":\"emb\",\"query_vector\":" + v + ",\"k\":5";
  for (const std::string& body : {
           os + ",\"k\":3,\"max_distance\":1}}}}",            // k and a radius
           os + ",\"max_distance\":1,\"min_score\":0.5}}}}",  // two radii
           os + "}}}}",                                       // none of the three
           os + ",\"min_score\":0}}}}",                       // scores are > 0
           os + ",\"max_distance\":\"far\"}}}}",
           os + ",\"k\":3,\"rescore\":{\"oversample_factor\":0.5}}}}}",
           os + ",\"k\":3,\"rescore\":{\"oversample_factor\":101}}}}}",
           os + ",\"k\":3,\"rescore\":{\"factor\":2}}}}}", os + ",\"k\":3,\"rescore\":3}}}}",
           es + ",\"rescore_vector\":{\"oversample\":0.5}}}",
           es + ",\"rescore_vector\":{\"oversample\":11}}}", es + ",\"rescore_vector\":{}}}",
           es + ",\"similarity\":\"close\"}}",
           es + ",\"num_candidates\":3}}",  // fewer candidates than k
           es + ",\"num_candidates\":10001}}",
           es + ",\"visit_percentage\":5}}",  // not implemented: named, not ignored
       }) {
    auto r = SearchJson(*engine_, "r", body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << body << " " << r.status().ToString();
  }
  auto r = SearchJson(*engine_, "r", os + "}}}}");
  EXPECT_NE(r.status().message().find("exactly one of k, distance or score"), std::string::npos);
}

}  // namespace
}  // namespace lookalike::testing
