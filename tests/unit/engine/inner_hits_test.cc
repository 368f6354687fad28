// collapse.inner_hits: each collapsed hit's group members, checked against the same search
// restricted to the group (the brute-force oracle): membership, order, from/size, the inner
// sort, the group of documents without a value, knn, and the window limit.
#include <set>

#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

constexpr int kDocs = 24;
const char* const kCats[] = {"a", "b", "c"};

class InnerHitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine(dir_.path());
    ASSERT_TRUE(es::CreateIndexJson(*engine_, "g", R"({"mappings":{"properties":{
        "cat":{"type":"keyword"},"rank":{"type":"integer"},"odd":{"type":"boolean"},
        "vec":{"type":"knn_vector","dimension":2,"method":{"name":"flat","space_type":"l2"}}}}})")
                    .ok());
    std::string bulk;
    for (int i = 0; i < kDocs; ++i) {
      // Every 7th document has no cat: those form the group of missing values. rank runs
      // against the document order so that sorting by it reverses each group.
      std::string cat = i % 7 == 0 ? "" : std::string(",\"cat\":\"") + kCats[i % 3] + "\"";
      bulk += "{\"index\":{\"_id\":\"d" + std::to_string(i) + "\"}}\n";
      bulk += "{\"rank\":" + std::to_string(100 - i) + ",\"odd\":" + (i % 2 ? "true" : "false") +
              ",\"vec\":[" + std::to_string(i) + ",0]" + cat + "}\n";
    }
    auto r = Bulk(*engine_, "g", bulk, RefreshPolicy::kTrue);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(Json(*r).At("/errors").get_bool().value()) << *r;
  }

  SearchResult Search(const std::string& body) {
    auto r = SearchTyped(*engine_, "g", body);
    EXPECT_TRUE(r.ok()) << body << " → " << r.status().ToString();
    return r.ok() ? std::move(r).value() : SearchResult{};
  }

  static std::vector<std::string> Ids(const std::vector<DocumentHit>& hits) {
    std::vector<std::string> ids;
    for (const DocumentHit& h : hits) ids.push_back(h.id);
    return ids;
  }

  // The collapse value of a hit ("" = missing).
  static std::string Cat(const DocumentHit& h) {
    if (h.fields.empty() || h.fields[0].values.empty()) return "?";
    const SortValue& v = h.fields[0].values[0];
    return v.missing() ? "" : v.text;
  }

  // Every match of `query` (a JSON query) in group `cat` in the order `sort` (a JSON sort
  // array, "" = by score): what a group's inner hits must be a slice of.
  std::vector<DocumentHit> Oracle(const std::string& query, const std::string& cat,
                                  const std::string& sort) {
    std::string group = cat.empty() ? R"({"bool":{"must_not":{"exists":{"field":"cat"}}}})"
                                    : R"({"term":{"cat":")" + cat + "\"}}";
    std::string body = R"({"size":100,"query":{"bool":{"must":[)" + query + "],\"filter\":[" +
                       group + "]}}" + (sort.empty() ? "" : ",\"sort\":" + sort) + "}";
    return Search(body).hits;
  }

  // Checks every hit's inner hits `name` against the oracle's slice [from, from + size).
  void ExpectMembers(const SearchResult& r, const std::string& query, const std::string& sort,
                     size_t entry, int from, int size) {
    ASSERT_FALSE(r.hits.empty());
    for (const DocumentHit& hit : r.hits) {
      ASSERT_GT(hit.inner_hits.size(), entry) << hit.id;
      const InnerHits& inner = hit.inner_hits[entry];
      std::vector<DocumentHit> all = Oracle(query, Cat(hit), sort);
      EXPECT_EQ(inner.total, static_cast<int64_t>(all.size())) << hit.id;
      std::vector<std::string> want;
      for (int i = from; i < from + size && i < static_cast<int>(all.size()); ++i) {
        want.push_back(all[i].id);
      }
      EXPECT_EQ(Ids(inner.hits), want) << "group [" << Cat(hit) << "] of " << hit.id;
      for (size_t i = 0; i < inner.hits.size() && i + from < all.size(); ++i) {
        EXPECT_EQ(inner.hits[i].sort, all[i + from].sort) << inner.hits[i].id;
      }
    }
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(InnerHitsTest, EachGroupShowsItsBestMembersInScoreOrder) {
  // Scores fall with the distance to the query point: d0 best, then d1, ...
  const std::string q = R"({"knn":{"vec":{"vector":[0,0],"k":24}}})";
  SearchResult r = Search(R"({"size":10,"query":)" + q +
                          R"(,"collapse":{"field":"cat","inner_hits":{"name":"top"}}})");
  // Four groups: missing (d0), a (d3), b (d1), c (d2); best hits in score order.
  EXPECT_EQ(Ids(r.hits), (std::vector<std::string>{"d0", "d1", "d2", "d3"}));
  EXPECT_EQ(r.total.value, kDocs);  // totals still count every match
  ExpectMembers(r, q, "", 0, 0, 3);
  // The group's best member is the collapsed hit itself, with the same score.
  for (const DocumentHit& h : r.hits) {
    ASSERT_FALSE(h.inner_hits[0].hits.empty());
    EXPECT_EQ(h.inner_hits[0].hits[0].id, h.id);
    EXPECT_FLOAT_EQ(h.inner_hits[0].max_score, h.score);
    EXPECT_EQ(h.inner_hits[0].name, "top");
    EXPECT_TRUE(h.inner_hits[0].hits[0].has_source);
  }
  // The group without a cat value: d0, d7, d14, d21.
  EXPECT_EQ(Ids(r.hits[0].inner_hits[0].hits), (std::vector<std::string>{"d0", "d7", "d14"}));
  EXPECT_EQ(r.hits[0].inner_hits[0].total, 4);
}

TEST_F(InnerHitsTest, FromSizeSortAndSeveralEntries) {
  const std::string q = R"({"range":{"rank":{"gte":80}}})";  // d0 … d20, constant score
  SearchResult r = Search(R"({"query":)" + q + R"(,"sort":[{"rank":"asc"}],
      "collapse":{"field":"cat","inner_hits":[
        {"name":"low","sort":[{"rank":"asc"}],"from":1,"size":2,"_source":["rank"]},
        {"name":"first","sort":["_doc"],"size":10,"_source":false,"version":true}]}})");
  // Sorted by rank ascending = document order reversed: d20 (c), d19 (b), d18 (a), then the
  // best of the group without a value, d14.
  EXPECT_EQ(Ids(r.hits), (std::vector<std::string>{"d20", "d19", "d18", "d14"}));
  ExpectMembers(r, q, R"([{"rank":"asc"}])", 0, 1, 2);
  ExpectMembers(r, q, R"(["_doc"])", 1, 0, 10);
  for (const DocumentHit& h : r.hits) {
    ASSERT_EQ(h.inner_hits.size(), 2u);
    EXPECT_EQ(h.inner_hits[0].name, "low");
    EXPECT_EQ(h.inner_hits[1].name, "first");
    EXPECT_TRUE(std::isnan(h.inner_hits[0].max_score));  // sorted by a field: no scores
    for (const DocumentHit& m : h.inner_hits[0].hits) {
      EXPECT_FALSE(m.scored());
      EXPECT_EQ(m.source, "{\"rank\":" + std::to_string(100 - std::stoi(m.id.substr(1))) + "}");
      EXPECT_TRUE(m.inner_hits.empty());
      EXPECT_TRUE(m.fields.empty());
    }
    for (const DocumentHit& m : h.inner_hits[1].hits) {
      EXPECT_FALSE(m.has_source);
      EXPECT_EQ(m.version, 1);
    }
  }
  // A from beyond the group: an empty page, the total still counts the group.
  SearchResult past = Search(R"({"query":)" + q + R"(,"collapse":{"field":"cat",
      "inner_hits":{"name":"x","from":50,"size":50}}})");
  for (const DocumentHit& h : past.hits) {
    EXPECT_TRUE(h.inner_hits[0].hits.empty());
    EXPECT_GT(h.inner_hits[0].total, 0);
  }
  // size 0: only totals.
  SearchResult counts = Search(R"({"query":)" + q + R"(,"collapse":{"field":"cat",
      "inner_hits":{"name":"x","size":0}}})");
  for (const DocumentHit& h : counts.hits) {
    EXPECT_TRUE(h.inner_hits[0].hits.empty());
    EXPECT_EQ(h.inner_hits[0].total, static_cast<int64_t>(Oracle(q, Cat(h), "").size()));
  }
}

// With a knn query the members are the group's documents among the k hits, and a post_filter
// restricts them too; search_after pages the groups, not the members.
TEST_F(InnerHitsTest, KnnPostFilterAndSearchAfter) {
  const std::string q = R"({"knn":{"vec":{"vector":[0,0],"k":9}}})";  // d0 … d8
  SearchResult r = Search(R"({"query":)" + q + R"(,"post_filter":{"term":{"odd":true}},
      "collapse":{"field":"cat","inner_hits":{"name":"n","size":5}}})");
  // Odd among d0…d8: d1 (b), d3 (a), d5 (c), d7 (missing).
  EXPECT_EQ(Ids(r.hits), (std::vector<std::string>{"d1", "d3", "d5", "d7"}));
  std::set<std::string> shown;
  for (const DocumentHit& h : r.hits) {
    for (const DocumentHit& m : h.inner_hits[0].hits) {
      const int i = std::stoi(m.id.substr(1));
      EXPECT_TRUE(i < 9 && i % 2 == 1) << m.id;
      shown.insert(m.id);
    }
  }
  EXPECT_EQ(shown.size(), 4u);  // d1 d3 d5 d7: one odd member per group among the 9
  // Paging with search_after by the collapse field: each group still shows all its members.
  const std::string all = R"({"match_all":{}})";
  SearchResult page = Search(R"({"sort":[{"cat":"asc"}],"search_after":["a"],
      "collapse":{"field":"cat","inner_hits":{"name":"n","size":20,"sort":["_doc"]}}})");
  EXPECT_EQ(page.hits.size(), 3u);  // b, c, missing
  ExpectMembers(page, all, R"(["_doc"])", 0, 0, 20);
}

TEST_F(InnerHitsTest, WindowAndSortFieldAreChecked) {
  auto r = SearchTyped(*engine_, "g", R"({"collapse":{"field":"cat","inner_hits":
      {"name":"big","size":100,"from":1}}})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "Inner result window is too large, the inner hit definition's [big]'s from + size "
            "must be less than or equal to: [100] but was [101]. This limit can be set by "
            "changing the [index.max_inner_result_window] index level setting.");
  EXPECT_TRUE(SearchTyped(*engine_, "g", R"({"collapse":{"field":"cat","inner_hits":
      {"name":"big","size":100}}})").ok());
  // The setting raises the limit.
  ASSERT_TRUE(es::CreateIndexJson(*engine_, "wide",
                                  R"({"settings":{"index.max_inner_result_window":500},
                                      "mappings":{"properties":{"cat":{"type":"keyword"}}}})")
                  .ok());
  EXPECT_TRUE(SearchTyped(*engine_, "wide", R"({"collapse":{"field":"cat","inner_hits":
      {"name":"big","size":400,"from":100}}})").ok());
  auto unmapped = SearchTyped(*engine_, "g", R"({"collapse":{"field":"cat","inner_hits":
      {"name":"s","sort":[{"nope":"asc"}]}}})");
  ASSERT_FALSE(unmapped.ok());
  EXPECT_EQ(unmapped.status().message(), "No mapping found for [nope] in order to sort on");
}

}  // namespace
}  // namespace lookalike::testing
