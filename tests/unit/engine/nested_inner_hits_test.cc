// inner_hits of knn searches on nested vector fields, both dialects: offsets equal the brute-force
// best vector (exact, flat index), offsets count objects without a vector, size/from paging,
// expand_nested_docs lists every vector and scores by their mean (score_mode avg) or best (max),
// the nested object as _source and under fields, and malformed inner_hits refused with 400.
#include <algorithm>
#include <map>
#include <random>

#include "engine/json_util.h"
#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

constexpr int kDim = 4;
constexpr const char* kMapping = R"({"mappings":{"properties":{
    "crops":{"type":"nested","properties":{
      "emb":{"type":"knn_vector","dimension":4,"space_type":"l2","method":{"name":"flat"}},
      "name":{"type":"keyword"}}},
    "plain":{"type":"knn_vector","dimension":4},
    "cat":{"type":"keyword"}}}})";

using Vec = std::vector<float>;

double L2(const Vec& a, const Vec& b) {
  double s = 0;
  for (int i = 0; i < kDim; ++i) s += double(a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

double Score(const Vec& q, const Vec& x) { return 1 / (1 + L2(q, x)); }

class NestedInnerHitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine(dir_.path());
    auto created = es::CreateIndexJson(*engine_, "n", kMapping);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }

  // `docs` random documents of 1..6 vectors each (named "d<i>-<offset>").
  void Fill(int docs, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g;
    std::string bulk;
    for (int d = 0; d < docs; ++d) {
      const std::string id = std::to_string(d);
      std::vector<Vec> crops(1 + rng() % 6);
      std::string doc = "{\"cat\":\"c\",\"crops\":[";
      for (size_t i = 0; i < crops.size(); ++i) {
        crops[i].resize(kDim);
        for (float& x : crops[i]) x = g(rng);
        doc += std::string(i ? "," : "") + "{\"name\":\"d" + id + "-" + std::to_string(i) +
               "\",\"emb\":" + VectorJson(crops[i]) + "}";
      }
      docs_[id] = crops;
      bulk += "{\"index\":{\"_id\":\"" + id + "\"}}\n" + doc + "]}\n";
    }
    auto r = Bulk(*engine_, "n", bulk, RefreshPolicy::kTrue);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->find("\"errors\":true"), std::string::npos) << *r;
  }

  // The offsets of document `id`'s vectors, best first (ties by offset).
  std::vector<int64_t> RankedOffsets(const std::string& id, const Vec& q) {
    const std::vector<Vec>& crops = docs_[id];
    std::vector<int64_t> order(crops.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return L2(q, crops[a]) < L2(q, crops[b]);
    });
    return order;
  }

  Result<std::string> EsKnn(const Vec& q, int k, const std::string& inner_hits) {
    return SearchJson(*engine_, "n",
                      "{\"size\":" + std::to_string(k) +
                          ",\"_source\":false,\"knn\":{\"field\":\"crops.emb\",\"query_vector\":" +
                          VectorJson(q) + ",\"k\":" + std::to_string(k) +
                          ",\"num_candidates\":100,\"inner_hits\":" + inner_hits + "}}");
  }

  Result<std::string> OsNested(const Vec& q, int k, const std::string& knn_extra,
                               const std::string& nested_extra) {
    return SearchJson(*engine_, "n",
                      "{\"size\":" + std::to_string(k) +
                          ",\"_source\":false,\"query\":{\"nested\":{\"path\":\"crops\"," +
                          nested_extra + "\"query\":{\"knn\":{\"crops.emb\":{\"vector\":" +
                          VectorJson(q) + ",\"k\":" + std::to_string(k) + knn_extra + "}}}}}}");
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::map<std::string, std::vector<Vec>> docs_;
};

TEST_F(NestedInnerHitsTest, OffsetsAreTheBruteForceBestVectors) {
  Fill(60, 7);
  std::mt19937 rng(9);
  std::normal_distribution<float> g;
  for (int round = 0; round < 5; ++round) {
    Vec q(kDim);
    for (float& x : q) x = g(rng);
    // Elasticsearch: the default size 3 of each hit's vectors, best first.
    auto es = EsKnn(q, 10, "{}");
    ASSERT_TRUE(es.ok()) << es.status().ToString();
    Json j(*es);
    const std::vector<std::string> ids = HitIds(*es);
    ASSERT_EQ(ids.size(), 10u);
    for (size_t h = 0; h < ids.size(); ++h) {
      const std::string hit = "/hits/hits/" + std::to_string(h);
      const std::string inner = hit + "/inner_hits/crops/hits";
      const std::vector<int64_t> ranked = RankedOffsets(ids[h], q);
      EXPECT_EQ(j.Int((inner + "/total/value").c_str()), int64_t(ranked.size()));
      const size_t shown = std::min<size_t>(3, ranked.size());
      ASSERT_EQ(j.At((inner + "/hits").c_str()).get_array().size(), shown);
      for (size_t i = 0; i < shown; ++i) {
        const std::string m = inner + "/hits/" + std::to_string(i);
        EXPECT_EQ(j.Int((m + "/_nested/offset").c_str()), ranked[i]) << ids[h];
        EXPECT_EQ(j.Str((m + "/_nested/field").c_str()), "crops");
        EXPECT_EQ(j.Str((m + "/_id").c_str()), ids[h]);
        EXPECT_NEAR(j.At((m + "/_score").c_str()).get_double().value(),
                    Score(q, docs_[ids[h]][ranked[i]]), 1e-5);
        // The nested object is the inner hit's _source (the request's _source:false is the
        // parent's only).
        EXPECT_EQ(j.Str((m + "/_source/name").c_str()),
                  "d" + ids[h] + "-" + std::to_string(ranked[i]));
      }
      // The best vector's score is the document's (flat index: exact).
      EXPECT_NEAR(j.At((hit + "/_score").c_str()).get_double().value(),
                  j.At((inner + "/max_score").c_str()).get_double().value(), 1e-6);
    }
    // OpenSearch without expand_nested_docs: the best vector only.
    auto os = OsNested(q, 10, "", "\"inner_hits\":{},");
    ASSERT_TRUE(os.ok()) << os.status().ToString();
    Json o(*os);
    EXPECT_EQ(HitIds(*os), ids);
    for (size_t h = 0; h < ids.size(); ++h) {
      const std::string inner = "/hits/hits/" + std::to_string(h) + "/inner_hits/crops/hits";
      EXPECT_EQ(o.Int((inner + "/total/value").c_str()), 1);
      EXPECT_EQ(o.Int((inner + "/hits/0/_nested/offset").c_str()), RankedOffsets(ids[h], q)[0]);
      EXPECT_EQ(o.Str((inner + "/hits/0/_source/name").c_str()),
                "d" + ids[h] + "-" + std::to_string(RankedOffsets(ids[h], q)[0]));
    }
  }
}

TEST_F(NestedInnerHitsTest, SizeFromNameSourceAndFields) {
  Fill(30, 3);
  const Vec q = {0.1f, -0.2f, 0.3f, 0.0f};
  auto r = EsKnn(q, 5,
                 R"({"name":"best","from":1,"size":2,"_source":["crops.name"],
                     "fields":["crops.name",{"field":"crops.missing"}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Json j(*r);
  const std::vector<std::string> ids = HitIds(*r);
  for (size_t h = 0; h < ids.size(); ++h) {
    const std::vector<int64_t> ranked = RankedOffsets(ids[h], q);
    const std::string inner = "/hits/hits/" + std::to_string(h) + "/inner_hits/best/hits";
    EXPECT_EQ(j.Int((inner + "/total/value").c_str()), int64_t(ranked.size()));
    const size_t shown = ranked.size() > 1 ? std::min<size_t>(2, ranked.size() - 1) : 0;
    ASSERT_EQ(j.At((inner + "/hits").c_str()).get_array().size(), shown) << ids[h];
    for (size_t i = 0; i < shown; ++i) {
      const std::string m = inner + "/hits/" + std::to_string(i);
      const std::string name = "d" + ids[h] + "-" + std::to_string(ranked[i + 1]);
      EXPECT_EQ(j.Int((m + "/_nested/offset").c_str()), ranked[i + 1]);
      EXPECT_EQ(j.Str((m + "/_source/name").c_str()), name);
      EXPECT_FALSE(j.Has((m + "/_source/emb").c_str()));  // filtered out
      EXPECT_EQ(j.Str((m + "/fields/crops.name/0").c_str()), name);
      EXPECT_FALSE(j.Has((m + "/fields/crops.missing").c_str()));
    }
  }
}

TEST_F(NestedInnerHitsTest, OffsetsCountObjectsWithoutAVector) {
  auto r = Bulk(*engine_, "n",
                "{\"index\":{\"_id\":\"a\"}}\n"
                R"({"crops":[{"name":"none"},{"name":"far","emb":[9,9,9,9]},null,)"
                R"({"name":"near","emb":[1,0,0,0]}]})"
                "\n",
                RefreshPolicy::kTrue);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto s = EsKnn({1, 0, 0, 0}, 1, "{}");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Json j(*s);
  EXPECT_EQ(j.Int("/hits/hits/0/inner_hits/crops/hits/total/value"), 2);
  EXPECT_EQ(j.Int("/hits/hits/0/inner_hits/crops/hits/hits/0/_nested/offset"), 2);
  EXPECT_EQ(j.Str("/hits/hits/0/inner_hits/crops/hits/hits/0/_source/name"), "near");
  EXPECT_EQ(j.Int("/hits/hits/0/inner_hits/crops/hits/hits/1/_nested/offset"), 1);
  EXPECT_EQ(j.Str("/hits/hits/0/inner_hits/crops/hits/hits/1/_source/name"), "far");
  EXPECT_DOUBLE_EQ(j.At("/hits/hits/0/inner_hits/crops/hits/hits/0/_score").get_double().value(),
                   1.0);
}

TEST_F(NestedInnerHitsTest, ExpandNestedDocsListsEveryVectorAndAveragesByDefault) {
  Fill(40, 21);
  const Vec q = {0.5f, 0.5f, -0.5f, 0.1f};
  for (const char* mode : {"", R"("score_mode":"avg",)", R"("score_mode":"max",)"}) {
    auto r = OsNested(q, 8, R"(,"expand_nested_docs":true)",
                      std::string(mode) + R"("inner_hits":{"size":10,"_source":false},)");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    Json j(*r);
    const std::vector<std::string> ids = HitIds(*r);
    ASSERT_EQ(ids.size(), 8u);
    const bool max = std::string(mode).find("max") != std::string::npos;
    double previous = 1e300;
    for (size_t h = 0; h < ids.size(); ++h) {
      const std::string hit = "/hits/hits/" + std::to_string(h);
      const std::vector<int64_t> ranked = RankedOffsets(ids[h], q);
      EXPECT_EQ(j.Int((hit + "/inner_hits/crops/hits/total/value").c_str()),
                int64_t(ranked.size()));
      ASSERT_EQ(j.At((hit + "/inner_hits/crops/hits/hits").c_str()).get_array().size(),
                ranked.size());
      double sum = 0;
      for (size_t i = 0; i < ranked.size(); ++i) {
        const std::string m = hit + "/inner_hits/crops/hits/hits/" + std::to_string(i);
        EXPECT_EQ(j.Int((m + "/_nested/offset").c_str()), ranked[i]);
        EXPECT_FALSE(j.Has((m + "/_source").c_str()));
        sum += Score(q, docs_[ids[h]][ranked[i]]);
      }
      const double want = max ? Score(q, docs_[ids[h]][ranked[0]]) : sum / ranked.size();
      const double got = j.At((hit + "/_score").c_str()).get_double().value();
      EXPECT_NEAR(got, want, 1e-5) << mode << " " << ids[h];
      EXPECT_LE(got, previous + 1e-6);  // re-sorted by the averaged score
      previous = got;
    }
  }
}

TEST_F(NestedInnerHitsTest, ElasticsearchKnnQueryFormInsideNested) {
  Fill(30, 17);
  const Vec q = {-0.3f, 0.2f, 0.9f, -0.1f};
  auto section = EsKnn(q, 4, R"({"size":10,"_source":false})");
  ASSERT_TRUE(section.ok()) << section.status().ToString();
  auto query = SearchJson(*engine_, "n",
                          R"({"size":4,"_source":false,"query":{"nested":{"path":"crops",
                              "inner_hits":{"size":10,"_source":false},"query":{"knn":{
                              "field":"crops.emb","query_vector":)" +
                              VectorJson(q) + R"(,"k":4,"num_candidates":50}}}}})");
  ASSERT_TRUE(query.ok()) << query.status().ToString();
  // Same hits, scores and inner hits (every vector, as Elasticsearch's knn.inner_hits).
  Json a(*section), b(*query);
  EXPECT_EQ(HitIds(*section), HitIds(*query));
  EXPECT_EQ(engine::ElementToJson(a.At("/hits/hits")), engine::ElementToJson(b.At("/hits/hits")));
  // Outside nested, the same form is a plain knn query on the field.
  auto bare = SearchJson(*engine_, "n",
                         R"({"size":4,"_source":false,"query":{"knn":{"field":"crops.emb",
                             "query_vector":)" + VectorJson(q) + R"(,"k":4}}})");
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_EQ(HitIds(*bare), HitIds(*section));
}

TEST_F(NestedInnerHitsTest, MalformedInnerHitsAreRefused) {
  Fill(5, 1);
  const Vec q = {1, 0, 0, 0};
  struct Case {
    std::string inner_hits;
    StatusCode code;
    const char* says;
  };
  for (const Case& c : std::vector<Case>{
           {"5", StatusCode::kInvalidArgument, "[inner_hits] must be an object"},
           {R"({"sort":["_score"]})", StatusCode::kInvalidArgument, "unknown field [sort]"},
           {R"({"size":-1})", StatusCode::kInvalidArgument, "cannot be negative"},
           {R"({"size":"x"})", StatusCode::kInvalidArgument, "must be an integer"},
           {R"({"from":99,"size":2})", StatusCode::kInvalidArgument,
            "Inner result window is too large"},
           {R"({"fields":"crops.name"})", StatusCode::kInvalidArgument, "must be an array"},
           {R"({"_source":5})", StatusCode::kInvalidArgument, "[_source]"},
       }) {
    auto es = EsKnn(q, 2, c.inner_hits);
    ASSERT_FALSE(es.ok()) << c.inner_hits;
    EXPECT_EQ(es.status().code(), c.code);
    EXPECT_NE(es.status().message().find(c.says), std::string::npos) << es.status().ToString();
    auto os = OsNested(q, 2, "", "\"inner_hits\":" + c.inner_hits + ",");
    ASSERT_FALSE(os.ok()) << c.inner_hits;
    EXPECT_NE(os.status().message().find(c.says), std::string::npos) << os.status().ToString();
  }
  // On a vector field that is not nested.
  auto plain = SearchJson(*engine_, "n", R"({"knn":{"field":"plain","query_vector":[1,0,0,0],
      "k":1,"num_candidates":5,"inner_hits":{}}})");
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.status().message().find("needs a vector field under a [nested] object"),
            std::string::npos);
  // Two entries of one name; nested inner hits beside collapse inner hits.
  auto twice = SearchJson(*engine_, "n", R"({"knn":[
      {"field":"crops.emb","query_vector":[1,0,0,0],"k":1,"num_candidates":5,"inner_hits":{}},
      {"field":"crops.emb","query_vector":[0,1,0,0],"k":1,"num_candidates":5,"inner_hits":{}}]})");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("already contains an entry for key [crops]"),
            std::string::npos);
  auto collapse = SearchJson(*engine_, "n", R"({"collapse":{"field":"cat",
      "inner_hits":{"name":"x"}},"knn":{"field":"crops.emb","query_vector":[1,0,0,0],"k":1,
      "num_candidates":5,"inner_hits":{}}})");
  ASSERT_FALSE(collapse.ok());
  EXPECT_NE(collapse.status().message().find("cannot be combined"), std::string::npos);
  auto expand = OsNested(q, 2, R"(,"expand_nested_docs":"yes")", "");
  ASSERT_FALSE(expand.ok());
  auto mode = OsNested(q, 2, "", R"("score_mode":"sum",)");
  ASSERT_FALSE(mode.ok());
}

}  // namespace
}  // namespace lookalike::testing
