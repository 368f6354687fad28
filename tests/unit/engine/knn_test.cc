// k-NN queries (OpenSearch query form and Elasticsearch 8 top-level form), with and without
// filters, against brute force; vector input errors.
#include <algorithm>
#include <cmath>
#include <random>
#include <atomic>
#include <set>
#include <thread>

#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

constexpr int kDocs = 2000;
constexpr int kDim = 16;

class KnnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine(dir_.path());
    ASSERT_TRUE(es::CreateIndexJson(*engine_, "v", R"({"settings":{"index":{"knn":true}},"mappings":{"properties":{
                        "vec":{"type":"knn_vector","dimension":16,"method":{"name":"hnsw",
                          "space_type":"l2","engine":"faiss","parameters":{"m":16,"ef_construction":100}}},
                        "emb":{"type":"dense_vector","dims":16,"similarity":"cosine"},
                        "cat":{"type":"keyword"},"n":{"type":"integer"}}}})")
                    .ok());
    std::mt19937 rng(7);
    std::normal_distribution<float> g;
    std::string bulk;
    for (int i = 0; i < kDocs; ++i) {
      std::vector<float> v(kDim);
      for (auto& x : v) x = g(rng);
      vecs_.push_back(v);
      bulk += "{\"index\":{\"_id\":\"" + std::to_string(i) + "\"}}\n";
      bulk += "{\"vec\":" + VectorJson(v) + ",\"emb\":" + VectorJson(v) + ",\"cat\":\"c" +
              std::to_string(i % 10) + "\",\"n\":" + std::to_string(i) + "}\n";
      if (i % 500 == 499) {
        auto r = Bulk(*engine_, "v", bulk, RefreshPolicy::kFalse);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        ASSERT_FALSE(Json(*r).At("/errors").get_bool().value());
        bulk.clear();
      }
    }
    ASSERT_TRUE(es::RefreshJson(*engine_, "v").ok());
  }

  // Exact top-k ids by squared L2 among docs passing `keep`.
  template <typename F>
  std::vector<std::string> BruteForce(const std::vector<float>& q, size_t k, F keep) {
    std::vector<std::pair<float, int>> d;
    for (int i = 0; i < kDocs; ++i) {
      if (!keep(i)) continue;
      float s = 0;
      for (int j = 0; j < kDim; ++j) s += (q[j] - vecs_[i][j]) * (q[j] - vecs_[i][j]);
      d.emplace_back(s, i);
    }
    std::sort(d.begin(), d.end());
    std::vector<std::string> out;
    for (size_t i = 0; i < std::min(k, d.size()); ++i) out.push_back(std::to_string(d[i].second));
    return out;
  }

  static double Overlap(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    std::set<std::string> sa(a.begin(), a.end());
    size_t hit = 0;
    for (const auto& x : b) hit += sa.count(x);
    return b.empty() ? 1.0 : static_cast<double>(hit) / b.size();
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::vector<std::vector<float>> vecs_;
};

TEST_F(KnnTest, OpenSearchQueryMatchesBruteForce) {
  std::mt19937 rng(99);
  std::normal_distribution<float> g;
  double recall = 0;
  for (int t = 0; t < 20; ++t) {
    std::vector<float> q(kDim);
    for (auto& x : q) x = g(rng);
    auto r = SearchJson(*engine_, "v", "{\"size\":10,\"_source\":false,\"query\":{\"knn\":{\"vec\":{"
                                  "\"vector\":" + VectorJson(q) +
                                  ",\"k\":10,\"method_parameters\":{\"ef_search\":200}}}}}");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto ids = HitIds(*r);
    EXPECT_EQ(ids.size(), 10u);
    recall += Overlap(ids, BruteForce(q, 10, [](int) { return true; }));
    Json j(*r);
    EXPECT_EQ(j.Int("/hits/total/value"), 10);
    EXPECT_FALSE(j.Has("/hits/hits/0/_source"));
    // l2 score = 1 / (1 + squared distance)
    int top = std::stoi(ids[0]);
    float d = 0;
    for (int i = 0; i < kDim; ++i) d += (q[i] - vecs_[top][i]) * (q[i] - vecs_[top][i]);
    EXPECT_NEAR(j.At("/hits/hits/0/_score").get_double().value(), 1.0 / (1.0 + d), 1e-4);
  }
  EXPECT_GE(recall / 20, 0.95);
}

TEST_F(KnnTest, FilteredKnnReturnsKWheneverKMatch) {
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  double recall = 0;
  int queries = 0;
  // 1% selectivity (20 docs) and 10% (200 docs).
  for (const char* filter : {R"({"bool":{"filter":[{"term":{"cat":"c3"}},{"range":{"n":{"lt":200}}}]}})",
                             R"({"term":{"cat":"c7"}})"}) {
    for (int t = 0; t < 10; ++t) {
      std::vector<float> q(kDim);
      for (auto& x : q) x = g(rng);
      auto r = SearchJson(*engine_, "v", "{\"size\":10,\"query\":{\"knn\":{\"vec\":{\"vector\":" +
                                        VectorJson(q) + ",\"k\":10,\"filter\":" + filter + "}}}}");
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      auto ids = HitIds(*r);
      bool narrow = std::string(filter).find("c3") != std::string::npos;
      auto expected = BruteForce(q, 10, [&](int i) {
        return narrow ? (i % 10 == 3 && i < 200) : (i % 10 == 7);
      });
      EXPECT_EQ(ids.size(), 10u) << filter;
      for (const auto& id : ids) {
        int i = std::stoi(id);
        EXPECT_EQ(i % 10, narrow ? 3 : 7);
      }
      recall += Overlap(ids, expected);
      ++queries;
    }
  }
  EXPECT_GE(recall / queries, 0.95);
}

TEST_F(KnnTest, Elasticsearch8TopLevelKnn) {
  std::vector<float> q = vecs_[42];
  auto r = SearchJson(*engine_, "v", "{\"knn\":{\"field\":\"emb\",\"query_vector\":" + VectorJson(q) +
                                    ",\"k\":5,\"num_candidates\":50,\"filter\":{\"term\":"
                                    "{\"cat\":\"c2\"}}},\"_source\":[\"n\"]}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto ids = HitIds(*r);
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(ids[0], "42");
  Json j(*r);
  // cosine similarity score = (1 + cos) / 2 → 1 for the vector itself.
  EXPECT_NEAR(j.At("/hits/hits/0/_score").get_double().value(), 1.0, 1e-4);
  EXPECT_EQ(j.Int("/hits/hits/0/_source/n"), 42);
  EXPECT_FALSE(j.Has("/hits/hits/0/_source/emb"));
}

// knn.query_vector_builder.lookup: the stored vector of an example document is the query; the
// example is not excluded (Elasticsearch's behaviour), so it comes first with the exact score.
TEST_F(KnnTest, LookupOfAnExampleDocumentSearchesWithItsStoredVector) {
  auto by_vector = SearchJson(*engine_, "v", "{\"knn\":{\"field\":\"emb\",\"query_vector\":" +
                                                 VectorJson(vecs_[42]) + ",\"k\":8},\"_source\":false}");
  auto by_lookup = SearchJson(*engine_, "v", R"({"knn":{"field":"emb","k":8,
      "query_vector_builder":{"lookup":{"index":"v","id":"42","path":"vec"}}},"_source":false})");
  ASSERT_TRUE(by_vector.ok()) << by_vector.status().ToString();
  ASSERT_TRUE(by_lookup.ok()) << by_lookup.status().ToString();
  EXPECT_EQ(HitIds(*by_lookup), HitIds(*by_vector));
  ASSERT_FALSE(HitIds(*by_lookup).empty());
  EXPECT_EQ(HitIds(*by_lookup)[0], "42");
  // A vector of another document (updated after the first search) is looked up afresh.
  ASSERT_TRUE(engine_->IndexDocument("v", "42", "{\"vec\":" + VectorJson(vecs_[7]) + "}",
                                     OpType::kIndex, RefreshPolicy::kTrue).ok());
  by_lookup = SearchJson(*engine_, "v", R"({"knn":{"field":"emb","k":3,
      "query_vector_builder":{"lookup":{"index":"v","id":"42","path":"vec"}}},"_source":false})");
  ASSERT_TRUE(by_lookup.ok()) << by_lookup.status().ToString();
  EXPECT_EQ(HitIds(*by_lookup)[0], "7");
}

TEST_F(KnnTest, LookupErrorsNameWhatIsMissing) {
  auto search = [this](const std::string& lookup) {
    return SearchJson(*engine_, "v", "{\"knn\":{\"field\":\"emb\",\"k\":3,"
                                     "\"query_vector_builder\":{\"lookup\":" + lookup + "}}}");
  };
  auto r = search(R"({"index":"v","id":"nope","path":"vec"})");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("[nope] not found in index [v]"), std::string::npos);
  r = search(R"({"index":"v","id":"1","path":"cat"})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("has no vector at [cat]"), std::string::npos);
  r = search(R"({"index":"missing","id":"1","path":"vec"})");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
}

// Lookalike's recommend builder: avg(positive) + (avg(positive) - avg(negative)) of the stored
// vectors is the query, and the examples are left out unless exclude_examples is false.
TEST_F(KnnTest, RecommendSearchesWithTheExamplesAverageAndLeavesThemOut) {
  auto recommend = [this](const std::string& body, size_t k) {
    return SearchJson(*engine_, "v", "{\"knn\":{\"field\":\"vec\",\"k\":" + std::to_string(k) +
                                     ",\"num_candidates\":400,\"query_vector_builder\":"
                                     "{\"recommend\":" + body + "}},\"_source\":false}");
  };
  auto exact = [this](const std::vector<float>& q, size_t k) {
    return SearchJson(*engine_, "v", "{\"knn\":{\"field\":\"vec\",\"k\":" + std::to_string(k) +
                                     ",\"num_candidates\":400,\"query_vector\":" + VectorJson(q) +
                                     "},\"size\":" + std::to_string(k) + ",\"_source\":false}");
  };
  std::vector<float> q(kDim);
  for (int j = 0; j < kDim; ++j) q[j] = 2 * (vecs_[3][j] + vecs_[5][j]) / 2 - vecs_[9][j];
  auto by_vector = exact(q, 13);
  auto by_recommend = recommend(R"({"index":"v","path":"vec","positive":["3","5"],
                                   "negative":["9"]})", 10);
  ASSERT_TRUE(by_vector.ok()) << by_vector.status().ToString();
  ASSERT_TRUE(by_recommend.ok()) << by_recommend.status().ToString();
  std::vector<std::string> expected;
  for (const std::string& id : HitIds(*by_vector)) {
    if (id != "3" && id != "5" && id != "9" && expected.size() < 10) expected.push_back(id);
  }
  EXPECT_EQ(HitIds(*by_recommend), expected);

  // One positive and exclude_examples false: exactly the lookup of that document.
  auto kept = recommend(R"({"index":"v","path":"vec","positive":["42"],"exclude_examples":false})",
                        5);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  auto kept_by_vector = exact(vecs_[42], 5);
  ASSERT_TRUE(kept_by_vector.ok()) << kept_by_vector.status().ToString();
  EXPECT_EQ(HitIds(*kept), HitIds(*kept_by_vector));
  EXPECT_EQ(HitIds(*kept)[0], "42");
  // A filter still applies next to the exclusion.
  auto filtered = SearchJson(*engine_, "v", R"({"knn":{"field":"vec","k":5,"num_candidates":400,
      "filter":{"term":{"cat":"c2"}},"query_vector_builder":{"recommend":{"index":"v",
      "path":"vec","positive":["42"]}}},"_source":["cat"]})");
  ASSERT_TRUE(filtered.ok()) << filtered.status().ToString();
  ASSERT_EQ(HitIds(*filtered).size(), 5u);
  for (const std::string& id : HitIds(*filtered)) {
    EXPECT_NE(id, "42");
    EXPECT_EQ(std::stoi(id) % 10, 2) << id;
  }
}

TEST_F(KnnTest, RecommendErrorsAreClear) {
  auto search = [this](const std::string& builder) {
    return SearchJson(*engine_, "v", "{\"knn\":{\"field\":\"vec\",\"k\":3,"
                                     "\"query_vector_builder\":" + builder + "}}");
  };
  struct Case {
    const char* builder;
    const char* message;
  };
  for (const Case& c : std::initializer_list<Case>{
           {R"({"recommend":{"index":"v","path":"vec","positive":[]}})", "at least one [positive]"},
           {R"({"recommend":{"index":"v","path":"vec"}})", "at least one [positive]"},
           {R"({"recommend":{"path":"vec","positive":["1"]}})", "requires [index]"},
           {R"({"recommend":{"index":"v","positive":["1"]}})", "requires [path]"},
           {R"({"recommend":{"index":"v","path":"vec","positive":[1]}})", "non-empty strings"},
           {R"({"recommend":{"index":"v","path":"vec","positive":["1"],"x":1}})",
            "unknown field [x]"},
           {R"({"recommend":{"index":"v","path":"vec","positive":["1"],"negative":["nope"]}})",
            "[recommend] document [nope] not found in index [v]"},
           {R"({"recommend":{"index":"v","path":"vec","positive":["1"]},"lookup":{}})",
            "exactly one of"},
           {R"({"text_embedding":{}})", "only [lookup] and [recommend]"},
       }) {
    auto r = search(c.builder);
    ASSERT_FALSE(r.ok()) << c.builder;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.builder << " -> " << r.status().ToString();
  }
  std::string many = R"({"recommend":{"index":"v","path":"vec","positive":[)";
  for (int i = 0; i <= 64; ++i) many += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  auto r = search(many + "]}}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("more than 64 ids"), std::string::npos)
      << r.status().ToString();
}

TEST_F(KnnTest, DeletedAndUpdatedDocsLeaveResults) {
  std::vector<float> q = vecs_[10];
  ASSERT_TRUE(engine_->DeleteDocument("v", "10", RefreshPolicy::kWaitFor).ok());
  auto r = SearchJson(*engine_, "v", "{\"query\":{\"knn\":{\"vec\":{\"vector\":" + VectorJson(q) +
                                    ",\"k\":3}}}}");
  ASSERT_TRUE(r.ok());
  for (const auto& id : HitIds(*r)) EXPECT_NE(id, "10");
  // Move doc 11 onto the query point: it must become the top hit.
  auto u = engine_->IndexDocument("v", "11", "{\"vec\":" + VectorJson(q) + ",\"cat\":\"c1\"}",
                                  OpType::kIndex, RefreshPolicy::kTrue);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  auto r2 = SearchJson(*engine_, "v", "{\"query\":{\"knn\":{\"vec\":{\"vector\":" + VectorJson(q) +
                                     ",\"k\":3}}}}");
  ASSERT_TRUE(r2.ok());
  ASSERT_FALSE(HitIds(*r2).empty());
  EXPECT_EQ(HitIds(*r2)[0], "11");
}

TEST_F(KnnTest, BadVectors) {
  auto write = [&](const std::string& src) {
    return engine_->IndexDocument("v", "bad", src, OpType::kIndex, RefreshPolicy::kFalse);
  };
  for (const char* src : {R"({"vec":[1,2,3]})", R"({"vec":[]})", R"({"vec":"abc"})",
                          R"({"vec":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,"x"]})",
                          R"({"vec":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,1e400]})",
                          R"({"vec":{"a":1}})"}) {
    auto r = write(src);
    ASSERT_FALSE(r.ok()) << src;
    EXPECT_EQ(r.status().kind(), ErrorKind::kMappingParse) << src << r.status().ToString();
  }
  auto nan = write(R"({"vec":[NaN,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]})");
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.status().code(), StatusCode::kInvalidArgument);
  auto bad_q = SearchJson(*engine_, "v", R"({"query":{"knn":{"vec":{"vector":[1,2],"k":3}}}})");
  ASSERT_FALSE(bad_q.ok());
  EXPECT_EQ(bad_q.status().kind(), ErrorKind::kInvalidValue);
  auto big_k = SearchJson(*engine_, 
      "v", "{\"query\":{\"knn\":{\"vec\":{\"vector\":" + VectorJson(vecs_[0]) + ",\"k\":100000}}}}");
  ASSERT_FALSE(big_k.ok());
  auto str_q = SearchJson(*engine_, "v", R"({"query":{"knn":{"vec":{"vector":["a"],"k":3}}}})");
  ASSERT_FALSE(str_q.ok());
  EXPECT_EQ(str_q.status().code(), StatusCode::kInvalidArgument);
  // Nothing bad got stored.
  EXPECT_EQ(GetDoc(*engine_, "v", "bad")->http_status, 404);
}

}  // namespace
}  // namespace lookalike::testing

namespace lookalike::testing {
namespace {

// Writers, searchers, refreshes and a mapping change at the same time: no crash, no lost
// write, every search well-formed (run under ASan/UBSan with the unit label).
TEST(Concurrency, WritesSearchesAndRefreshes) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "c", R"({"mappings":{"properties":{
      "v":{"type":"knn_vector","dimension":4},"t":{"type":"keyword"}}}})").ok());
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int b = 0; b < 15; ++b) {
        std::string bulk;
        for (int i = 0; i < 20; ++i) {
          int id = w * 100000 + b * 20 + i;
          bulk += "{\"index\":{\"_id\":\"" + std::to_string(id) + "\"}}\n{\"v\":[" +
                  std::to_string(id % 97) + ",1,2,3],\"t\":\"w" + std::to_string(w) + "\"}\n";
        }
        auto r = Bulk(*engine, "c", bulk, b % 5 == 0 ? RefreshPolicy::kWaitFor : RefreshPolicy::kFalse);
        if (!r.ok() || Json(*r).At("/errors").get_bool().value()) failed = true;
        if (b % 4 == 0) {
          (void)engine->DeleteDocument("c", std::to_string(w * 100000 + b * 20), RefreshPolicy::kFalse);
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 40; ++i) {
      auto r = SearchJson(*engine, "c", R"({"query":{"knn":{"v":{"vector":[5,1,2,3],"k":5,
          "filter":{"term":{"t":"w1"}}}}}})");
      if (!r.ok()) failed = true;
      auto s = SearchJson(*engine, "c", R"({"query":{"term":{"t":"w0"}},"sort":[{"t":"asc"}]})");
      if (!s.ok()) failed = true;
    }
  });
  threads.emplace_back([&] {
    for (int i = 0; i < 5; ++i) {
      if (!es::RefreshJson(*engine, "c").ok()) failed = true;
      (void)engine->ListIndices();
      (void)es::StatsJson(*engine, "c");
    }
    if (!es::PutMappingJson(*engine, "c", R"({"properties":{"w":{"type":"knn_vector","dimension":2}}})").ok())
      failed = true;
  });
  for (auto& t : threads) t.join();
  EXPECT_FALSE(failed);
  ASSERT_TRUE(es::RefreshJson(*engine, "c").ok());
  EXPECT_EQ(Json(CountJson(*engine, "c", "").value()).Int("/count"), 2 * 300 - 2 * 4);
}

}  // namespace
}  // namespace lookalike::testing

namespace lookalike::testing {
namespace {

QueryNode Term(std::string field, std::string value) {
  TermsNode t;
  t.field = std::move(field);
  t.values = {std::move(value)};
  QueryNode n;
  n.node = std::move(t);
  return n;
}

// A request built in C++ without any JSON (what the image query and a coordinator do) runs
// like the same request written as a body: same hits, scores, sort values, aggregations and
// rendered bytes.
TEST(TypedRequest, HandBuiltRequestSearchesLikeItsJsonBody) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "t", R"({"settings":{"index.knn":true},"mappings":{"properties":{
      "v":{"type":"knn_vector","dimension":2,"method":{"name":"flat","space_type":"l2"}},
      "c":{"type":"keyword"},"p":{"type":"long"}}}})").ok());
  std::string bulk;
  for (int i = 0; i < 12; ++i) {
    bulk += "{\"index\":{\"_id\":\"" + std::to_string(i) + "\"}}\n{\"v\":[" + std::to_string(i) +
            ",1],\"c\":\"" + (i % 3 == 0 ? "a" : "b") + "\",\"p\":" + std::to_string(i % 4) +
            "}\n";
  }
  ASSERT_TRUE(Bulk(*engine, "t", bulk, RefreshPolicy::kTrue).ok());

  SearchRequest knn;
  KnnNode entry;
  entry.field = "v";
  entry.vector = {4.0f, 1.0f};
  entry.k = 5;
  entry.filter = std::make_shared<const QueryNode>(Term("c", "b"));
  QueryNode query;
  query.node = std::move(entry);
  knn.query = std::move(query);
  knn.size = 3;
  knn.source.includes = {"c"};
  knn.aggs.push_back(AggRequest{"by_p", AggRequest::Kind::kTerms, "p", 10});
  auto typed = engine->Search("t", knn);
  ASSERT_TRUE(typed.ok()) << typed.status().ToString();
  ASSERT_EQ(typed->hits.size(), 3u);
  EXPECT_EQ(typed->hits[0].id, "4");  // the query is document 4's own vector
  EXPECT_EQ(typed->hits[0].source, R"({"c":"b"})");
  EXPECT_EQ(typed->total.value, 5);  // k hits, all passing the filter (category b)
  auto json = SearchJson(*engine, "t", R"({"size":3,"_source":["c"],
      "query":{"knn":{"v":{"vector":[4,1],"k":5,"filter":{"term":{"c":"b"}}}}},
      "aggs":{"by_p":{"terms":{"field":"p"}}}})");
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  typed->took_ms = 0;
  std::string rendered = es::RenderSearchResponse(*typed);
  std::string expected = *json;
  expected.replace(expected.find("\"took\":") + 7, expected.find(',') - expected.find("\"took\":") - 7,
                   "0");
  EXPECT_EQ(rendered, expected);

  // Sorted by a field with search_after as typed values: the page after p = 1, id 5.
  SearchRequest sorted;
  sorted.query = Term("c", "b");
  sorted.sort = {SortKey::Of("p"), SortKey::Of("_doc")};
  sorted.search_after = std::vector<SortValue>{SortValue::Number(1), SortValue::Number(5)};
  sorted.source.enabled = false;
  auto page = engine->Search("t", sorted);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  std::vector<std::string> ids;
  for (const DocumentHit& h : page->hits) ids.push_back(h.id);
  // c = b: ids 1 2 4 5 7 8 10 11 with p = i % 4: (1,1) (2,2) (4,0) (5,1) (7,3) (8,0) (10,2)
  // (11,3); after (p 1, doc 5) in (p, doc) order: 2, 10, 7, 11.
  EXPECT_EQ(ids, (std::vector<std::string>{"2", "10", "7", "11"}));
  EXPECT_FALSE(page->hits[0].has_source);

  CountRequest count;
  count.query = Term("c", "a");
  auto counted = engine->Count("t", count);
  ASSERT_TRUE(counted.ok());
  EXPECT_EQ(counted->count, 4);

  // The checks that need no index apply to C++ callers too.
  SearchRequest negative;
  negative.from = -1;
  EXPECT_EQ(engine->Search("t", negative).status().kind(), ErrorKind::kInvalidValue);
  SearchRequest window;
  window.from = INT64_MAX;  // saturates instead of overflowing
  EXPECT_EQ(engine->Search("t", window).status().kind(), ErrorKind::kInvalidValue);
}

}  // namespace
}  // namespace lookalike::testing
