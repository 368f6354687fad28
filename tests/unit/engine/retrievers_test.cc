// Retrievers (lookalike/retrievers.h): the fusion arithmetic over fake leaf searches, computed
// by hand in each test, then rrf / linear / diversify through the codec on a real engine.
#include "lookalike/retrievers.h"

#include <map>

#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

using Ranking = std::vector<std::pair<std::string, float>>;  // id, score; best first

// A leaf search that answers the knn leaf with `knn` and the query leaf with `text`, at most
// leaf.size hits, and records the sizes it was asked for.
struct FakeLeaves {
  Ranking knn, text;
  std::vector<int64_t> sizes;
  LeafSearch Search() {
    return [this](const SearchRequest& leaf) -> Result<SearchResult> {
      sizes.push_back(leaf.size);
      const Ranking& from = leaf.knn.empty() ? text : knn;
      SearchResult r;
      r.shards = {1, 1, 0, 0};
      for (const auto& [id, score] : from) {
        if (static_cast<int64_t>(r.hits.size()) >= leaf.size) break;
        DocumentHit hit;
        hit.index = "i";
        hit.id = id;
        hit.score = score;
        r.hits.push_back(hit);
      }
      return r;
    };
  }
};

ExampleVectorReader Vectors(std::map<std::string, std::vector<float>> vectors) {
  return [vectors](const std::string&, const std::string& id, const std::string&,
                   const std::string*) -> Result<ExampleVector> {
    ExampleVector v;
    auto it = vectors.find(id);
    if (it != vectors.end()) {
      v.state = ExampleVector::State::kFound;
      v.values = it->second;
      v.metric = Metric::kCosine;  // the hand computations below use (1 + cos) / 2
    }
    return v;
  };
}

Retriever KnnLeaf() {
  Retriever r;
  r.kind = Retriever::Kind::kKnn;
  KnnNode knn;
  knn.field = "v";
  knn.vector = {1, 0};
  knn.k = 100;
  r.knn = knn;
  return r;
}

Retriever TextLeaf() {
  Retriever r;
  r.kind = Retriever::Kind::kStandard;
  r.query = QueryNode{MatchNode{"title", "x"}};
  return r;
}

SearchRequest With(Retriever root, int64_t size = 10, int64_t from = 0) {
  SearchRequest request;
  request.size = size;
  request.from = from;
  request.retriever = std::make_shared<const Retriever>(std::move(root));
  return request;
}

std::vector<std::string> Ids(const SearchResult& r) {
  std::vector<std::string> ids;
  for (const DocumentHit& h : r.hits) ids.push_back(h.id);
  return ids;
}

TEST(RetrieverTest, RrfAddsReciprocalRanks) {
  FakeLeaves leaves{{{"a", 9}, {"b", 8}, {"c", 7}}, {{"c", 3}, {"d", 2}, {"a", 1}}};
  Retriever rrf;
  rrf.kind = Retriever::Kind::kRrf;
  rrf.children = {KnnLeaf(), TextLeaf()};
  auto result = RunRetriever(With(rrf), leaves.Search(), Vectors({}));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  // a: 1/61 + 1/63, c: 1/63 + 1/61 (tie: a was seen first), b: 1/62, d: 1/62.
  EXPECT_EQ(Ids(*result), (std::vector<std::string>{"a", "c", "b", "d"}));
  EXPECT_NEAR(result->hits[0].score, 1.0 / 61 + 1.0 / 63, 1e-6);
  EXPECT_NEAR(result->hits[2].score, 1.0 / 62, 1e-6);
  EXPECT_NEAR(result->max_score, result->hits[0].score, 1e-9);
  EXPECT_EQ(result->total.value, 4);
  // rank_window_size defaults to the request's size.
  EXPECT_EQ(leaves.sizes, (std::vector<int64_t>{10, 10}));
}

TEST(RetrieverTest, RrfRankConstantWindowAndPaging) {
  FakeLeaves leaves{{{"a", 9}, {"b", 8}, {"c", 7}}, {{"c", 3}, {"d", 2}, {"a", 1}}};
  Retriever rrf;
  rrf.kind = Retriever::Kind::kRrf;
  rrf.rank_constant = 1;
  rrf.rank_window_size = 2;
  rrf.children = {KnnLeaf(), TextLeaf()};
  // Windows of 2: knn [a, b], text [c, d]: a = c = 1/2, b = d = 1/3. Page 2 of size 1 = c.
  auto result = RunRetriever(With(rrf, 1, 1), leaves.Search(), Vectors({}));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Ids(*result), std::vector<std::string>{"c"});
  EXPECT_NEAR(result->hits[0].score, 0.5, 1e-6);
  EXPECT_EQ(result->total.value, 4);
  auto small = RunRetriever(With(rrf, 3), leaves.Search(), Vectors({}));
  EXPECT_EQ(small.status().code(), StatusCode::kInvalidArgument);  // window 2 < size 3
}

TEST(RetrieverTest, LinearNormalisesAndWeights) {
  FakeLeaves leaves{{{"a", 10}, {"b", 5}, {"c", 0}}, {{"c", 2}, {"d", 1}}};
  Retriever linear;
  linear.kind = Retriever::Kind::kLinear;
  linear.children = {KnnLeaf(), TextLeaf()};
  linear.weights = {2, 1};
  linear.normalizers = {ScoreNormalizer::kMinMax, ScoreNormalizer::kMinMax};
  // knn → a 1, b 0.5, c 0; text → c 1, d 0. a = 2, b = 1, c = 0 + 1 = 1, d = 0.
  auto result = RunRetriever(With(linear), leaves.Search(), Vectors({}));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Ids(*result), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_NEAR(result->hits[0].score, 2.0, 1e-6);
  EXPECT_NEAR(result->hits[2].score, 1.0, 1e-6);
  EXPECT_NEAR(result->hits[3].score, 0.0, 1e-6);
  // No normaliser, l2: knn → a 10/√125, b 5/√125; weights 1.
  linear.weights = {1, 1};
  linear.normalizers = {ScoreNormalizer::kL2Norm, ScoreNormalizer::kNone};
  auto raw = RunRetriever(With(linear), leaves.Search(), Vectors({}));
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(Ids(*raw), (std::vector<std::string>{"c", "d", "a", "b"}));  // c 2, d 1, a .894
  EXPECT_NEAR(raw->hits[2].score, 10 / std::sqrt(125.0), 1e-6);
}

TEST(RetrieverTest, LinearMeansOfOpenSearchHybrid) {
  FakeLeaves leaves{{{"a", 4}, {"b", 2}, {"c", 0}}, {{"a", 1}, {"c", 3}}};
  Retriever hybrid;
  hybrid.kind = Retriever::Kind::kLinear;
  hybrid.children = {KnnLeaf(), TextLeaf()};
  hybrid.weights = {0.25f, 0.75f};
  hybrid.normalizers = {ScoreNormalizer::kMinMax, ScoreNormalizer::kMinMax};
  // knn → a 1, b .5, c 0; text (c 3, a 1) → c 1, a 0.
  hybrid.combination = Retriever::Combination::kArithmeticMean;
  auto mean = RunRetriever(With(hybrid), leaves.Search(), Vectors({}));
  ASSERT_TRUE(mean.ok());
  // a = .25, b = .125, c = .75.
  EXPECT_EQ(Ids(*mean), (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_NEAR(mean->hits[0].score, 0.75, 1e-6);
  EXPECT_NEAR(mean->hits[2].score, 0.125, 1e-6);
  // Harmonic: children scoring 0 are left out; b = .5 (knn alone), c = 1 (text alone), a = 1.
  hybrid.combination = Retriever::Combination::kHarmonicMean;
  auto harmonic = RunRetriever(With(hybrid), leaves.Search(), Vectors({}));
  ASSERT_TRUE(harmonic.ok());
  EXPECT_NEAR(harmonic->hits[2].score, 0.5, 1e-6);
  EXPECT_EQ(harmonic->hits[2].id, "b");
}

TEST(RetrieverTest, DiversifyKeepsDissimilarHitsInTheChildsOrder) {
  FakeLeaves leaves{{{"a", 4}, {"b", 3}, {"c", 2}, {"d", 1}}, {}};
  auto vectors = Vectors({{"a", {1, 0}}, {"b", {1, 0.01f}}, {"c", {0, 1}}, {"d", {-1, 0}}});
  Retriever mmr;
  mmr.kind = Retriever::Kind::kDiversify;
  mmr.field = "v";
  mmr.children = {KnnLeaf()};
  mmr.size = 2;
  mmr.rank_window_size = 4;
  // Relevance (min-max of the scores): a 1, b 2/3, c 1/3, d 0. a first; then similarity to a
  // (cosine mapped to [0, 1]): b ≈ 1, c 0.5, d 0.
  mmr.lambda = 0.5f;  // b −1/6, c −1/12, d 0 → d
  auto diverse = RunRetriever(With(mmr, 2), leaves.Search(), vectors);
  ASSERT_TRUE(diverse.ok()) << diverse.status().ToString();
  EXPECT_EQ(Ids(*diverse), (std::vector<std::string>{"a", "d"}));
  EXPECT_FLOAT_EQ(diverse->hits[1].score, 1.0f);  // the child's score is kept
  mmr.lambda = 0.9f;  // b .6 − .1 = .5, c .3 − .05 = .25, d 0 → b
  auto relevant = RunRetriever(With(mmr, 2), leaves.Search(), vectors);
  ASSERT_TRUE(relevant.ok());
  EXPECT_EQ(Ids(*relevant), (std::vector<std::string>{"a", "b"}));
  // With a query vector, relevance is the similarity to it rather than the child's score:
  // [0, 1] is closest to c (1, against .5 for a and d).
  mmr.lambda = 0.5f;
  mmr.size = 1;
  mmr.query_vector = {0, 1};
  auto toward = RunRetriever(With(mmr, 1), leaves.Search(), vectors);
  ASSERT_TRUE(toward.ok());
  EXPECT_EQ(Ids(*toward), std::vector<std::string>{"c"});
  mmr.query_vector = {0, 1, 0};
  EXPECT_EQ(RunRetriever(With(mmr, 1), leaves.Search(), vectors).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(RetrieverTest, LeafErrorsPassThrough) {
  Retriever rrf;
  rrf.kind = Retriever::Kind::kRrf;
  rrf.children = {KnnLeaf(), TextLeaf()};
  LeafSearch failing = [](const SearchRequest&) -> Result<SearchResult> {
    return Status::NotFound("no such index [x]");
  };
  EXPECT_EQ(RunRetriever(With(rrf), failing, Vectors({})).status().code(),
            StatusCode::kNotFound);
}

// ---- Through the codec, on a real engine -----------------------------------------------------

constexpr const char* kMapping = R"({"mappings":{"properties":{
    "title":{"type":"text"},"cat":{"type":"keyword"},
    "v":{"type":"knn_vector","dimension":2,"method":{"name":"flat","space_type":"l2"}}}}})";

class RetrieverEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine(dir_.path());
    ASSERT_TRUE(es::CreateIndexJson(*engine_, "r", kMapping).ok());
    std::string bulk;
    const char* titles[] = {"red shoe", "red hat", "blue shoe", "green bag", "red red bag"};
    for (int i = 0; i < 5; ++i) {
      bulk += "{\"index\":{\"_id\":\"d" + std::to_string(i) + "\"}}\n";
      bulk += "{\"title\":\"" + std::string(titles[i]) + "\",\"cat\":\"c" + std::to_string(i % 2) +
              "\",\"v\":[" + std::to_string(i) + ",0]}\n";
    }
    ASSERT_TRUE(Bulk(*engine_, "r", bulk, RefreshPolicy::kTrue).ok());
  }
  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(RetrieverEngineTest, RrfOfTextAndKnnMatchesTheRanksOfEachSearch) {
  // knn from [0, 0]: d0, d1, d2, d3, d4. match "red": d0, d1, d4 (some order). RRF over the
  // ranks the two plain searches give.
  auto knn = SearchTyped(*engine_, "r", R"({"knn":{"field":"v","query_vector":[0,0],"k":5}})");
  auto text = SearchTyped(*engine_, "r", R"({"query":{"match":{"title":"red"}}})");
  ASSERT_TRUE(knn.ok() && text.ok());
  std::map<std::string, double> want;
  for (size_t r = 0; r < knn->hits.size(); ++r) want[knn->hits[r].id] += 1.0 / (60 + 1 + r);
  for (size_t r = 0; r < text->hits.size(); ++r) want[text->hits[r].id] += 1.0 / (60 + 1 + r);
  auto fused = SearchTyped(*engine_, "r", R"({"retriever":{"rrf":{"retrievers":[
      {"knn":{"field":"v","query_vector":[0,0],"k":5,"num_candidates":10}},
      {"standard":{"query":{"match":{"title":"red"}}}}]}}})");
  ASSERT_TRUE(fused.ok()) << fused.status().ToString();
  ASSERT_EQ(fused->hits.size(), 5u);
  for (size_t i = 0; i < fused->hits.size(); ++i) {
    EXPECT_NEAR(fused->hits[i].score, want[fused->hits[i].id], 1e-6) << fused->hits[i].id;
    if (i > 0) EXPECT_GE(fused->hits[i - 1].score, fused->hits[i].score);
  }
  EXPECT_TRUE(fused->hits[0].has_source);
}

TEST_F(RetrieverEngineTest, StandardRetrieverFilterAndDiversify) {
  auto filtered = SearchTyped(*engine_, "r", R"({"retriever":{"standard":{
      "query":{"match":{"title":"red"}},"filter":{"term":{"cat":"c0"}}}}})");
  ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
  EXPECT_EQ(Ids(*filtered).size(), 2u);  // d0 and d4 (c0 and red)
  for (const auto& h : filtered->hits) EXPECT_TRUE(h.id == "d0" || h.id == "d4") << h.id;
  auto diverse = SearchTyped(*engine_, "r", R"({"size":2,"retriever":{"diversify":{
      "type":"mmr","field":"v","lambda":0.5,"size":2,"rank_window_size":5,
      "retriever":{"knn":{"field":"v","query_vector":[1,0],"k":5}}}}})");
  ASSERT_TRUE(diverse.ok()) << diverse.status().ToString();
  EXPECT_EQ(diverse->hits.size(), 2u);
}

// OpenSearch's hybrid query with a normalization-processor in the request: min-max of each
// sub-query's scores, weighted arithmetic mean (0 for a document a sub-query did not find).
TEST_F(RetrieverEngineTest, HybridQueryIsTheWeightedMeanOfMinMaxScores) {
  auto knn = SearchTyped(*engine_, "r", R"({"query":{"knn":{"v":{"vector":[4,0],"k":5}}}})");
  auto text = SearchTyped(*engine_, "r", R"({"query":{"match":{"title":"shoe"}}})");
  ASSERT_TRUE(knn.ok() && text.ok());
  auto minmax = [](const SearchResult& r) {
    std::map<std::string, double> out;
    float hi = r.hits.front().score, lo = r.hits.back().score;
    for (const auto& h : r.hits) out[h.id] = hi > lo ? (h.score - lo) / (hi - lo) : 1.0;
    return out;
  };
  auto k = minmax(*knn), t = minmax(*text);
  auto fused = SearchTyped(*engine_, "r", R"({"query":{"hybrid":{"queries":[
      {"match":{"title":"shoe"}},{"knn":{"v":{"vector":[4,0],"k":5}}}]}},
      "search_pipeline":{"phase_results_processors":[{"normalization-processor":{
        "normalization":{"technique":"min_max"},
        "combination":{"technique":"arithmetic_mean","parameters":{"weights":[0.3,0.7]}}}}]}})");
  ASSERT_TRUE(fused.ok()) << fused.status().ToString();
  ASSERT_EQ(fused->hits.size(), 5u);
  for (const auto& h : fused->hits) {
    double want = 0.3 * (t.count(h.id) ? t[h.id] : 0.0) + 0.7 * (k.count(h.id) ? k[h.id] : 0.0);
    EXPECT_NEAR(h.score, want, 1e-5) << h.id;
  }
  EXPECT_EQ(fused->hits[0].id, "d4");  // the nearest vector; d4 has no "shoe"
  const char* bad[] = {
      R"({"query":{"hybrid":{"queries":[]}}})",
      R"({"query":{"hybrid":{"queries":[{"match_all":{}}]}},"search_pipeline":{
          "phase_results_processors":[{"normalization-processor":{
          "combination":{"technique":"arithmetic_mean","parameters":{"weights":[1,2]}}}}]}})",
      R"({"query":{"hybrid":{"queries":[{"match_all":{}}]}},"search_pipeline":{
          "phase_results_processors":[{"normalization-processor":{
          "normalization":{"technique":"z"}}}]}})",
      R"({"query":{"hybrid":{"queries":[{"match_all":{}}]}},"sort":["cat"]})",
      R"({"query":{"match_all":{}},"search_pipeline":{}})",
  };
  for (const char* body : bad) {
    auto result = SearchTyped(*engine_, "r", body);
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << body;
  }
}

// Aggregations beside a compound retriever or hybrid: over every match of the standard leaves
// plus the knn leaves' top k, not over the fused page. knn k=2 from [4,0]: d4, d3 (c0, c1);
// match "hat": d1 (c1); d0 and d2 are matched by neither and must not be counted.
TEST_F(RetrieverEngineTest, AggregationsCountTheUnionOfTheLeaves) {
  auto counts = [](const SearchResult& r) {
    EXPECT_EQ(r.aggregations.size(), 1u);
    return r.aggregations.empty() ? std::map<std::string, int64_t>()
                                  : r.aggregations[0].term_counts;
  };
  const std::map<std::string, int64_t> want = {{"c0", 1}, {"c1", 2}};
  auto rrf = SearchTyped(*engine_, "r", R"({"size":1,"retriever":{"rrf":{"retrievers":[
      {"knn":{"field":"v","query_vector":[4,0],"k":2}},
      {"standard":{"query":{"match":{"title":"hat"}}}}]}},
      "aggs":{"c":{"terms":{"field":"cat"}}}})");
  ASSERT_TRUE(rrf.ok()) << rrf.status().ToString();
  EXPECT_EQ(rrf->hits.size(), 1u);
  EXPECT_EQ(counts(*rrf), want);
  auto hybrid = SearchTyped(*engine_, "r", R"({"size":1,"query":{"hybrid":{"queries":[
      {"knn":{"v":{"vector":[4,0],"k":2}}},{"match":{"title":"hat"}}]}},
      "aggs":{"c":{"terms":{"field":"cat"}}}})");
  ASSERT_TRUE(hybrid.ok()) << hybrid.status().ToString();
  EXPECT_EQ(counts(*hybrid), want);
  // A filter of a standard leaf restricts its matches; a leaf without a query matches all.
  auto all = SearchTyped(*engine_, "r", R"({"retriever":{"linear":{"retrievers":[
      {"standard":{"filter":{"term":{"cat":"c0"}}}},
      {"knn":{"field":"v","query_vector":[4,0],"k":2}}]}},
      "aggs":{"c":{"terms":{"field":"cat"}}}})");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(counts(*all), (std::map<std::string, int64_t>{{"c0", 3}, {"c1", 1}}));
}

TEST_F(RetrieverEngineTest, MalformedRetrieversAreRefused) {
  const char* bad[] = {
      R"({"retriever":{"rrf":{"retrievers":[{"standard":{}}]}}})",               // one child
      R"({"retriever":{"nope":{}}})",                                              // unknown
      R"({"retriever":{"standard":{},"knn":{}}})",                                 // two
      R"({"retriever":{"standard":{}},"query":{"match_all":{}}})",                 // beside query
      R"({"retriever":{"rrf":{"retrievers":[{"standard":{}},{"standard":{}}],"rank_constant":0}}})",
      R"({"retriever":{"diversify":{"type":"mmr","field":"v","retriever":{"standard":{}}}}})",
      R"({"retriever":{"diversify":{"type":"x","field":"v","lambda":1,"retriever":{"standard":{}}}}})",
      R"({"retriever":{"linear":{"retrievers":[{"retriever":{"standard":{}},"weight":-1},{"standard":{}}]}}})",
      R"({"retriever":{"rrf":{"retrievers":[{"standard":{"min_score":1}},{"standard":{}}]}},"aggs":{"c":{"terms":{"field":"cat"}}}})",
      R"({"size":20,"retriever":{"rrf":{"retrievers":[{"standard":{}},{"standard":{}}],"rank_window_size":5}}})",
      R"({"retriever":[]})",
  };
  for (const char* body : bad) {
    auto result = SearchTyped(*engine_, "r", body);
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument) << body;
  }
}

}  // namespace
}  // namespace lookalike::testing
