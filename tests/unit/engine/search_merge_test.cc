// MergeSearchResults: one data set indexed into one engine and, split by a hash of _id, into
// three engines; for every query shape the engine tests use, the merge of the three shard
// results (SearchOptions::as_shard) must equal the single engine's result field by field, and
// render to the same response text.
#include <cmath>
#include <functional>
#include <set>

#include "engine_test_util.h"
#include "lookalike/search_merge.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

constexpr int kDocs = 300;
constexpr int kShards = 3;

std::string DocId(int i) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "d%03d", i);
  return buf;
}

// A deterministic, tie-free 4-dimensional vector per document.
std::string Vector(int i) {
  auto c = [i](int salt) { return std::to_string(((i * 37 + salt * 101) % 211) / 7.0 + 0.01 * i); };
  return "[" + c(1) + "," + c(2) + "," + c(3) + "," + c(4) + "]";
}

std::string Source(int i) {
  const char* cats[] = {"shoes", "hats", "bags", "belts", "socks"};
  std::string s = "{\"key\":\"" + DocId(i) + "\",\"cat\":\"" + cats[(i * 7) % 5] + "\"";
  if (i % 10 != 3) s += ",\"price\":" + std::to_string((i % 40) * 0.5);  // ties and gaps
  s += ",\"qty\":" + std::to_string(i % 6) + ",\"ok\":" + (i % 3 == 0 ? "true" : "false");
  s += ",\"title\":\"word" + std::to_string(i % 7) + " common\"";
  s += ",\"vec\":" + Vector(i) + ",\"emb\":" + Vector(i + 1000) + "}";
  return s;
}

constexpr const char* kMapping = R"({"mappings":{"properties":{
    "key":{"type":"keyword"},"cat":{"type":"keyword"},"price":{"type":"double"},
    "qty":{"type":"integer"},"ok":{"type":"boolean"},"title":{"type":"text"},
    "vec":{"type":"knn_vector","dimension":4,"method":{"name":"flat","space_type":"l2"}},
    "emb":{"type":"dense_vector","dims":4,"index":true,"similarity":"l2_norm",
           "index_options":{"type":"flat"}}}}})";

// One request shape: the body plus what the coordinator knows of it.
struct Case {
  std::string body;
  MergeSpec spec;
  // kNN: k applies per engine, so totals and aggregations cover up to shards × k candidates;
  // only the hits and max_score are comparable.
  bool knn = false;
};

// A case's body through the codec, as the server would hand it to each engine.
SearchRequest Parsed(const std::string& body) {
  auto request = es::ParseSearchRequest(body, {});
  EXPECT_TRUE(request.ok()) << body << ": " << request.status().ToString();
  return request.ok() ? std::move(*request) : SearchRequest();
}

MergeSpec Spec(int64_t from, int64_t size, std::vector<MergeSpec::SortKey> sort = {},
               int64_t track = 10000) {
  MergeSpec spec;
  spec.from = from;
  spec.size = size;
  spec.sort = std::move(sort);
  spec.track_total_hits = track;
  return spec;
}

MergeSpec Collapsed(MergeSpec spec, std::string field) {
  spec.collapse_field = std::move(field);
  return spec;
}

MergeSpec::SortKey Field(bool desc) { return {false, desc}; }
MergeSpec::SortKey Score(bool desc) { return {true, desc}; }

std::vector<Case> Cases() {
  const std::string q = Vector(42);
  return {
      {"", Spec(0, 10)},
      {R"({"query":{"match_all":{}},"size":25,"from":40})", Spec(40, 25)},
      {R"({"query":{"term":{"cat":"hats"}}})", Spec(0, 10)},
      {R"({"query":{"terms":{"cat":["hats","bags"]}},"size":50})", Spec(0, 50)},
      {R"({"query":{"range":{"price":{"gte":3,"lt":9.5}}},"size":30})", Spec(0, 30)},
      {R"({"query":{"exists":{"field":"price"}},"size":5,"from":7})", Spec(7, 5)},
      {R"({"query":{"ids":{"values":["d001","d150","d299","nope"]}}})", Spec(0, 10)},
      {R"({"query":{"bool":{"filter":[{"match":{"title":"word3"}}]}},"size":20})", Spec(0, 20)},
      {R"({"query":{"bool":{"must":[{"term":{"ok":true}}],"should":[{"term":{"cat":"hats"}}],
           "must_not":[{"term":{"qty":2}}]}},"size":40})",
       Spec(0, 40)},
      {R"({"sort":[{"price":"asc"}],"size":60})", Spec(0, 60, {Field(false)})},
      {R"({"sort":[{"price":{"order":"desc"}}],"size":30,"from":260})",
       Spec(260, 30, {Field(true)})},
      {R"({"sort":[{"cat":"asc"},{"price":"desc"}],"size":45})",
       Spec(0, 45, {Field(false), Field(true)})},
      {R"({"sort":["_score"],"query":{"term":{"cat":"bags"}}})", Spec(0, 10, {Score(true)})},
      {R"({"sort":[{"_score":"asc"},{"key":"desc"}],"query":{"bool":{"should":[
           {"term":{"cat":"bags"}},{"term":{"ok":true}}]}},"size":50})",
       Spec(0, 50, {Score(false), Field(true)})},
      {R"({"sort":[{"price":"asc"},{"key":"asc"}],"search_after":[10.5,"d021"],"size":20})",
       Spec(0, 20, {Field(false), Field(false)})},
      {R"({"track_total_hits":false,"size":3})", Spec(0, 3, {}, 0)},
      {R"({"track_total_hits":true,"size":3})", Spec(0, 3, {}, -1)},
      {R"({"track_total_hits":50,"size":3})", Spec(0, 3, {}, 50)},
      {R"({"track_total_hits":250,"query":{"term":{"ok":false}},"size":3})",
       Spec(0, 3, {}, 250)},
      {R"({"min_score":1.5,"query":{"bool":{"should":[{"term":{"cat":"bags"}},
           {"term":{"ok":true}}]}},"size":100})",
       Spec(0, 100)},
      {R"({"_source":["cat","price"],"size":15})", Spec(0, 15)},
      {R"({"_source":{"excludes":["vec","emb","title"]},"size":15,"version":true})",
       Spec(0, 15)},
      {R"({"_source":false,"size":15})", Spec(0, 15)},
      {R"({"size":0,"aggs":{"cats":{"terms":{"field":"cat","size":3}},
           "qtys":{"terms":{"field":"qty"}},"oks":{"terms":{"field":"ok"}},
           "lo":{"min":{"field":"price"}},"hi":{"max":{"field":"price"}},
           "mean":{"avg":{"field":"price"}},"total":{"sum":{"field":"price"}},
           "n":{"value_count":{"field":"price"}},"ncat":{"value_count":{"field":"cat"}}}})",
       Spec(0, 0)},
      {R"({"query":{"term":{"cat":"socks"}},"aggs":{"q":{"terms":{"field":"qty","size":2}},
           "m":{"avg":{"field":"price"}}},"size":5})",
       Spec(0, 5)},
      {R"({"collapse":{"field":"cat"},"size":3})", Collapsed(Spec(0, 3), "cat")},
      {R"({"collapse":{"field":"qty"},"sort":[{"price":"desc"}],"size":4,"from":1})",
       Collapsed(Spec(1, 4, {Field(true)}), "qty")},
      {R"({"collapse":{"field":"price"},"query":{"term":{"cat":"hats"}},"size":50,
           "sort":[{"key":"asc"}]})",
       Collapsed(Spec(0, 50, {Field(false)}), "price")},
      {R"({"collapse":{"field":"cat"},"sort":[{"cat":"asc"},{"price":"desc"}],
           "search_after":["bags",5.0],"size":3})",
       Collapsed(Spec(0, 3, {Field(false), Field(true)}), "cat")},
      {R"({"collapse":{"field":"ok"},"query":{"bool":{"should":[{"term":{"cat":"bags"}},
           {"term":{"qty":3}}]}},"size":5})",
       Collapsed(Spec(0, 5), "ok")},
      {"{\"size\":10,\"query\":{\"knn\":{\"vec\":{\"vector\":" + q + ",\"k\":10}}}}",
       Spec(0, 10), true},
      {"{\"size\":3,\"collapse\":{\"field\":\"cat\"},\"query\":{\"knn\":{\"vec\":{"
       "\"vector\":" + q + ",\"k\":20}}}}",
       Collapsed(Spec(0, 3), "cat"), true},
      {"{\"size\":6,\"query\":{\"knn\":{\"vec\":{\"vector\":" + q +
           ",\"k\":10,\"filter\":{\"term\":{\"cat\":\"hats\"}}}}}}",
       Spec(0, 6), true},
      {"{\"size\":8,\"knn\":{\"field\":\"emb\",\"query_vector\":" + q +
           ",\"k\":8,\"num_candidates\":50,\"filter\":{\"term\":{\"ok\":true}}}}",
       Spec(0, 8), true},
  };
}

class SearchMergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    single_ = OpenEngine(single_dir_.path(), /*snapshot_on_shutdown=*/false);
    ASSERT_TRUE(es::CreateIndexJson(*single_, "m", kMapping).ok());
    std::string all;
    std::vector<std::string> parts(kShards);
    for (int i = 0; i < kDocs; ++i) {  // written in _id order (see search_merge.h on ties)
      std::string line = "{\"index\":{\"_id\":\"" + DocId(i) + "\"}}\n" + Source(i) + "\n";
      all += line;
      parts[std::hash<std::string>{}(DocId(i)) % kShards] += line;
    }
    Load(*single_, all);
    for (int s = 0; s < kShards; ++s) {
      shards_.push_back(OpenEngine(shard_dirs_[s].path(), /*snapshot_on_shutdown=*/false));
      ASSERT_TRUE(es::CreateIndexJson(*shards_.back(), "m", kMapping).ok());
      ASSERT_FALSE(parts[s].empty());
      Load(*shards_.back(), parts[s]);
    }
  }

  static void Load(Engine& engine, const std::string& bulk) {
    auto r = Bulk(engine, "m", bulk, RefreshPolicy::kTrue);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(Json(*r).At("/errors").get_bool().value()) << r->substr(0, 500);
  }

  SearchResult Merged(const Case& c) {
    SearchOptions as_shard;
    as_shard.as_shard = true;
    std::vector<SearchResult> partials;
    for (auto& shard : shards_) {
      auto r = shard->Search("m", Parsed(c.body), as_shard);
      EXPECT_TRUE(r.ok()) << c.body << ": " << r.status().ToString();
      if (r.ok()) partials.push_back(std::move(*r));
    }
    auto merged = MergeSearchResults(std::move(partials), c.spec);
    EXPECT_TRUE(merged.ok()) << merged.status().ToString();
    return merged.ok() ? std::move(*merged) : SearchResult();
  }

  TempDir single_dir_;
  TempDir shard_dirs_[kShards];
  std::unique_ptr<Engine> single_;
  std::vector<std::unique_ptr<Engine>> shards_;
};

bool SameFloat(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

void ExpectSameHits(const SearchResult& want, const SearchResult& got) {
  ASSERT_EQ(want.hits.size(), got.hits.size());
  for (size_t i = 0; i < want.hits.size(); ++i) {
    const DocumentHit& w = want.hits[i];
    const DocumentHit& g = got.hits[i];
    EXPECT_EQ(w.index, g.index) << "hit " << i;
    EXPECT_EQ(w.id, g.id) << "hit " << i;
    EXPECT_TRUE(SameFloat(w.score, g.score)) << "hit " << i << ": " << w.score << " vs " << g.score;
    EXPECT_EQ(w.sort, g.sort) << "hit " << i;
    EXPECT_EQ(w.has_source, g.has_source) << "hit " << i;
    EXPECT_EQ(w.source, g.source) << "hit " << i;
    EXPECT_EQ(w.version, g.version) << "hit " << i;
    EXPECT_EQ(w.fields, g.fields) << "hit " << i;
  }
  EXPECT_TRUE(SameFloat(want.max_score, got.max_score)) << want.max_score << " vs " << got.max_score;
}

void ExpectSameAggregations(const SearchResult& want, const SearchResult& got) {
  ASSERT_EQ(want.aggregations.size(), got.aggregations.size());
  for (size_t i = 0; i < want.aggregations.size(); ++i) {
    const AggregationPartial& w = want.aggregations[i];
    const AggregationPartial& g = got.aggregations[i];
    EXPECT_EQ(w.name, g.name);
    EXPECT_EQ(w.kind, g.kind);
    EXPECT_EQ(w.size, g.size);
    EXPECT_EQ(w.term_counts, g.term_counts) << w.name;
    EXPECT_EQ(w.number_counts, g.number_counts) << w.name;
    EXPECT_EQ(w.boolean_keys, g.boolean_keys) << w.name;
    EXPECT_EQ(w.count, g.count) << w.name;
    EXPECT_EQ(w.sum, g.sum) << w.name;
    if (w.count > 0) {
      EXPECT_EQ(w.min, g.min) << w.name;
      EXPECT_EQ(w.max, g.max) << w.name;
    }
  }
}

TEST_F(SearchMergeTest, MergeOfShardsEqualsOneEngine) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.body);
    auto single = single_->Search("m", Parsed(c.body));
    ASSERT_TRUE(single.ok()) << single.status().ToString();
    SearchResult merged = Merged(c);
    EXPECT_FALSE(single->hits.empty() && single->aggregations.empty() && c.spec.size > 0)
        << "a case that matches nothing tests nothing";
    ExpectSameHits(*single, merged);
    if (c.knn) continue;
    EXPECT_EQ(single->total.tracked, merged.total.tracked);
    EXPECT_EQ(single->total.value, merged.total.value);
    EXPECT_EQ(single->total.relation, merged.total.relation);
    ExpectSameAggregations(*single, merged);
    // And the client sees the same bytes (timing and shard counts aside).
    merged.took_ms = single->took_ms;
    merged.shards = single->shards;
    EXPECT_EQ(es::RenderSearchResponse(*single), es::RenderSearchResponse(merged));
  }
}

// k applies per shard and the merge keeps the global best: with exact (flat) search the merged
// top-k are the k nearest of all documents, as one engine finds them; the shard totals add up
// to shards × k.
TEST_F(SearchMergeTest, KnnKeepsTheGlobalTopK) {
  Case c{"{\"size\":5,\"_source\":false,\"query\":{\"knn\":{\"vec\":{\"vector\":" + Vector(7) +
             ",\"k\":5}}}}",
         Spec(0, 5), true};
  auto single = single_->Search("m", Parsed(c.body));
  ASSERT_TRUE(single.ok());
  ASSERT_EQ(single->hits.size(), 5u);
  EXPECT_EQ(single->hits[0].id, DocId(7));  // the query is document 7's own vector
  SearchResult merged = Merged(c);
  ExpectSameHits(*single, merged);
  EXPECT_EQ(single->total.value, 5);
  EXPECT_EQ(merged.total.value, 5 * kShards);
}

// Collapse keeps the best document of each value, as a brute force over the same matches
// finds it; totals still count every match, and the page counts groups.
TEST_F(SearchMergeTest, CollapseKeepsTheBestHitOfEachValue) {
  auto all = single_->Search("m", Parsed(R"({"sort":[{"price":"desc"},{"key":"asc"}],
                                             "size":300,"_source":["cat"]})"));
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  std::vector<std::string> want;  // first hit per cat in the full order
  std::set<std::string> seen;
  for (const DocumentHit& h : all->hits) {
    std::string cat = Json(h.source).At("/cat").get_string().value().data();
    cat = cat.substr(0, cat.find('"'));
    if (seen.insert(cat).second) want.push_back(h.id);
  }
  ASSERT_EQ(want.size(), 5u);
  auto collapsed = single_->Search("m", Parsed(R"({"sort":[{"price":"desc"},{"key":"asc"}],
                                                   "collapse":{"field":"cat"},"size":10})"));
  ASSERT_TRUE(collapsed.ok()) << collapsed.status().ToString();
  std::vector<std::string> got;
  for (const DocumentHit& h : collapsed->hits) {
    got.push_back(h.id);
    ASSERT_EQ(h.fields.size(), 1u);
    EXPECT_EQ(h.fields[0].name, "cat");
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(collapsed->total.value, kDocs);
  auto page2 = single_->Search("m", Parsed(R"({"sort":[{"price":"desc"},{"key":"asc"}],
                                               "collapse":{"field":"cat"},"size":2,"from":2})"));
  ASSERT_TRUE(page2.ok());
  ASSERT_EQ(page2->hits.size(), 2u);
  EXPECT_EQ(page2->hits[0].id, want[2]);
  EXPECT_EQ(page2->hits[1].id, want[3]);
}

// collapse.inner_hits over shards (lookalike/search_merge.h): the page without inner hits,
// then a second round restricted to its groups, merged per group. Equals one engine, groups of
// keyword, numeric (with the group of missing values) and boolean values, under several inner
// orders, from/size and _source; with knn when k covers every shard's documents.
TEST_F(SearchMergeTest, InnerHitsInASecondRoundEqualOneEngine) {
  const std::vector<std::pair<std::string, MergeSpec>> cases = {
      {R"({"query":{"term":{"ok":true}},"size":3,"collapse":{"field":"cat","inner_hits":[
          {"name":"a","size":4},
          {"name":"b","from":2,"size":3,"sort":[{"price":"desc"},{"key":"asc"}],
           "_source":["key"]}]}})",
       Collapsed(Spec(0, 3), "cat")},
      {R"({"sort":[{"price":"desc"}],"size":3,"from":1,"collapse":{"field":"qty",
          "inner_hits":{"name":"q","size":5,"sort":["_score",{"key":"desc"}]}}})",
       Collapsed(Spec(1, 3, {Field(true)}), "qty")},
      {R"({"sort":[{"key":"desc"}],"size":8,"collapse":{"field":"price",
          "inner_hits":{"name":"p","size":3,"sort":[{"key":"desc"}],"version":true}}})",
       Collapsed(Spec(0, 8, {Field(true)}), "price")},
      {R"({"size":2,"collapse":{"field":"ok","inner_hits":{"name":"o","from":7,"size":2,
          "_source":false}},"query":{"bool":{"should":[{"term":{"qty":3}},
          {"term":{"cat":"hats"}}]}}})",
       Collapsed(Spec(0, 2), "ok")},
      {"{\"size\":3,\"collapse\":{\"field\":\"cat\",\"inner_hits\":{\"name\":\"n\",\"size\":4}},"
       "\"query\":{\"knn\":{\"vec\":{\"vector\":" + Vector(11) + ",\"k\":300}}}}",
       Collapsed(Spec(0, 3), "cat")},
  };
  SearchOptions as_shard;
  as_shard.as_shard = true;
  auto run_shards = [&](const SearchRequest& request) {
    std::vector<SearchResult> partials;
    for (auto& shard : shards_) {
      auto r = shard->Search("m", request, as_shard);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (r.ok()) partials.push_back(std::move(*r));
    }
    return partials;
  };
  for (const auto& [body, spec] : cases) {
    SCOPED_TRACE(body);
    const SearchRequest request = Parsed(body);
    auto single = single_->Search("m", request);
    ASSERT_TRUE(single.ok()) << single.status().ToString();
    ASSERT_FALSE(single->hits.empty());
    SearchRequest first = request;
    first.collapse->inner_hits.clear();
    auto page = MergeSearchResults(run_shards(first), spec);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ASSERT_TRUE(
        MergeInnerHits(run_shards(InnerHitsRound(request, *page)), request, &*page).ok());
    ExpectSameHits(*single, *page);
    for (size_t k = 0; k < single->hits.size() && k < page->hits.size(); ++k) {
      const auto& want = single->hits[k].inner_hits;
      const auto& got = page->hits[k].inner_hits;
      ASSERT_EQ(want.size(), got.size());
      for (size_t e = 0; e < want.size(); ++e) {
        EXPECT_EQ(want[e].name, got[e].name);
        EXPECT_EQ(want[e].total, got[e].total) << single->hits[k].id;
        EXPECT_TRUE(SameFloat(want[e].max_score, got[e].max_score));
        SearchResult w, g;  // the members compared as hits
        w.hits = want[e].hits;
        g.hits = got[e].hits;
        ExpectSameHits(w, g);
      }
    }
    // And the client sees the same bytes (timing and shard counts aside).
    page->took_ms = single->took_ms;
    page->shards = single->shards;
    EXPECT_EQ(es::RenderSearchResponse(*single), es::RenderSearchResponse(*page));
  }
}

TEST_F(SearchMergeTest, CollapseRefusesWhatItCannotGroupBy) {
  for (const char* body : {R"({"collapse":{"field":"title"}})", R"({"collapse":{"field":"nope"}})",
                           R"({"collapse":{"field":"vec"}})",
                           R"({"collapse":{"field":"cat"},"sort":[{"price":"asc"}],
                               "search_after":[1.0]})"}) {
    auto r = single_->Search("m", Parsed(body));
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << body << ": " << r.status().ToString();
  }
}

TEST(SearchMerge, TotalsCapAtTheTrackLimit) {
  SearchResult a, b;
  a.total.value = 30;
  b.total.value = 25;
  MergeSpec spec;
  spec.track_total_hits = 50;
  auto merged = MergeSearchResults({a, b}, spec);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->total.value, 50);
  EXPECT_EQ(merged->total.relation, TotalHits::Relation::kGreaterOrEqual);
  b.total.value = 10;
  merged = MergeSearchResults({a, b}, spec);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->total.value, 40);
  EXPECT_EQ(merged->total.relation, TotalHits::Relation::kEqual);
}

TEST(SearchMerge, RefusesPartialsOfDifferentShape) {
  SearchResult a, b;
  a.aggregations.push_back({});
  a.aggregations.back().name = "x";
  auto merged = MergeSearchResults({a, b}, MergeSpec());
  EXPECT_FALSE(merged.ok());
  SearchResult c;
  c.hits.emplace_back();
  c.hits.back().sort.push_back(SortValue::Number(1));
  merged = MergeSearchResults({c}, MergeSpec());  // score order: hits carry no sort values
  EXPECT_FALSE(merged.ok());
}

}  // namespace
}  // namespace lookalike::testing
