// BM25 scores of match / match_phrase / multi_match against a hand-computed example, and that
// they stay right through updates, deletes and posting garbage collection.
#include <cmath>

#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

// The example. Four documents in `title` (text):
//   d1 "brown fox"                  dl 2
//   d2 "fox fox dog"                dl 3
//   d3 "the quick brown dog jumps"  dl 5
//   d4 "cat"                        dl 1
// N = 4, avgdl = 11 / 4 = 2.75, k1 = 1.2, b = 0.75.
//   idf(df=2) = ln(1 + (4 - 2 + 0.5) / (2 + 0.5)) = ln 2 = 0.693147
//   idf(df=1) = ln(1 + 3.5 / 1.5) = ln(3.333333) = 1.203973
//   tfn(tf, dl) = tf / (tf + 1.2 · (0.25 + 0.75 · dl / 2.75))
//     tfn(1, 2) = 1 / (1 + 1.2 · 0.795455) = 1 / 1.954545 = 0.511628
//     tfn(2, 3) = 2 / (2 + 1.2 · 1.068182) = 2 / 3.281818 = 0.609418
//     tfn(1, 3) = 1 / 2.281818 = 0.438247
//     tfn(1, 5) = 1 / (1 + 1.2 · 1.613636) = 1 / 2.936364 = 0.340557
// match "fox":        d2 = 0.693147 · 0.609418 = 0.422417,  d1 = 0.693147 · 0.511628 = 0.354633
// match "brown dog":  d3 = 2 · 0.693147 · 0.340557 = 0.472113, d1 = 0.354633,
//                     d2 = 0.693147 · 0.438247 = 0.303770
// match_phrase "brown fox": d1 only, idf = ln 2 + ln 2, freq 1: 1.386294 · 0.511628 = 0.709267
// match_phrase "quick dog" slop 1: d3, distance 1 → freq 1/2, idf = 1.203973 + 0.693147:
//                     1.897120 · 0.5 / (0.5 + 1.936364) = 1.897120 · 0.205224 = 0.389335
constexpr double kFoxD2 = 0.422417, kFoxD1 = 0.354633;
constexpr double kBrownDogD3 = 0.472113, kBrownDogD2 = 0.303770;
constexpr double kPhraseD1 = 0.709267, kSloppyD3 = 0.389335;

class Bm25Test : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine(dir_.path());
    ASSERT_TRUE(es::CreateIndexJson(*engine_, "b", R"({"mappings":{"properties":{
        "title":{"type":"text"},"body":{"type":"text"},"tag":{"type":"keyword"}}}})")
                    .ok());
    Index(R"({"index":{"_id":"d1"}}
{"title":"brown fox","tag":"x"}
{"index":{"_id":"d2"}}
{"title":"fox fox dog"}
{"index":{"_id":"d3"}}
{"title":"the quick brown dog jumps","body":"fox"}
{"index":{"_id":"d4"}}
{"title":"cat"}
)");
  }
  void Index(const std::string& bulk) {
    auto r = Bulk(*engine_, "b", bulk, RefreshPolicy::kTrue);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_FALSE(Json(*r).At("/errors").get_bool().value()) << *r;
  }
  // (id, score) of the hits, best first.
  std::vector<std::pair<std::string, double>> Hits(const std::string& query) {
    auto r = SearchTyped(*engine_, "b", R"({"query":)" + query + "}");
    EXPECT_TRUE(r.ok()) << query << " → " << r.status().ToString();
    std::vector<std::pair<std::string, double>> out;
    if (r.ok()) {
      for (const auto& h : r->hits) out.emplace_back(h.id, h.score);
    }
    return out;
  }
  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(Bm25Test, MatchScoresFollowTheHandComputation) {
  auto fox = Hits(R"({"match":{"title":"fox"}})");
  ASSERT_EQ(fox.size(), 2u);
  EXPECT_EQ(fox[0].first, "d2");  // two occurrences beat one in a shorter field
  EXPECT_NEAR(fox[0].second, kFoxD2, 1e-4);
  EXPECT_EQ(fox[1].first, "d1");
  EXPECT_NEAR(fox[1].second, kFoxD1, 1e-4);

  auto bd = Hits(R"({"match":{"title":"Brown DOG"}})");
  ASSERT_EQ(bd.size(), 3u);
  EXPECT_EQ(bd[0].first, "d3");
  EXPECT_NEAR(bd[0].second, kBrownDogD3, 1e-4);
  EXPECT_EQ(bd[1].first, "d1");
  EXPECT_NEAR(bd[1].second, kFoxD1, 1e-4);
  EXPECT_EQ(bd[2].first, "d2");
  EXPECT_NEAR(bd[2].second, kBrownDogD2, 1e-4);

  auto boosted = Hits(R"({"match":{"title":{"query":"fox","boost":2}}})");
  ASSERT_EQ(boosted.size(), 2u);
  EXPECT_NEAR(boosted[0].second, 2 * kFoxD2, 2e-4);

  auto both = Hits(R"({"match":{"title":{"query":"brown dog","operator":"and"}}})");
  ASSERT_EQ(both.size(), 1u);
  EXPECT_EQ(both[0].first, "d3");
  EXPECT_NEAR(both[0].second, kBrownDogD3, 1e-4);
  // minimum_should_match of 3 tokens: 67% → 2 (rounded down), -1 → 2, 1 → any.
  EXPECT_EQ(Hits(R"({"match":{"title":{"query":"brown dog cat","minimum_should_match":"67%"}}})")
                .size(), 1u);
  EXPECT_EQ(Hits(R"({"match":{"title":{"query":"brown dog cat","minimum_should_match":-1}}})")
                .size(), 1u);
  EXPECT_EQ(Hits(R"({"match":{"title":{"query":"brown dog cat","minimum_should_match":1}}})")
                .size(), 4u);
}

TEST_F(Bm25Test, PhraseUsesPositions) {
  auto p = Hits(R"({"match_phrase":{"title":"brown fox"}})");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].first, "d1");
  EXPECT_NEAR(p[0].second, kPhraseD1, 1e-4);
  EXPECT_TRUE(Hits(R"({"match_phrase":{"title":"fox brown"}})").empty());
  // The rarer term (jumps) leads the candidate search; the order in the phrase still counts.
  auto dj = Hits(R"({"match_phrase":{"title":"dog jumps"}})");
  ASSERT_EQ(dj.size(), 1u);
  EXPECT_EQ(dj[0].first, "d3");
  EXPECT_TRUE(Hits(R"({"match_phrase":{"title":"jumps dog"}})").empty());
  EXPECT_EQ(Hits(R"({"match_phrase":{"title":"fox fox"}})").size(), 1u);  // d2
  // d1 has one fox: it cannot fill both places of "fox fox", whatever the slop.
  auto twice = Hits(R"({"match_phrase":{"title":{"query":"fox fox","slop":3}}})");
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_EQ(twice[0].first, "d2");
  EXPECT_TRUE(Hits(R"({"match_phrase":{"title":"quick dog"}})").empty());
  auto sloppy = Hits(R"({"match_phrase":{"title":{"query":"quick dog","slop":1}}})");
  ASSERT_EQ(sloppy.size(), 1u);
  EXPECT_EQ(sloppy[0].first, "d3");
  EXPECT_NEAR(sloppy[0].second, kSloppyD3, 1e-4);
  // A transposition costs two moves.
  EXPECT_TRUE(Hits(R"({"match_phrase":{"title":{"query":"fox brown","slop":1}}})").empty());
  EXPECT_EQ(Hits(R"({"match_phrase":{"title":{"query":"fox brown","slop":2}}})").size(), 1u);
}

TEST_F(Bm25Test, PhraseDoesNotCrossArrayValues) {
  Index(R"({"index":{"_id":"a"}}
{"body":["red apple","green pear"]}
)");
  EXPECT_TRUE(Hits(R"({"match_phrase":{"body":"apple green"}})").empty());
  EXPECT_EQ(Hits(R"({"match_phrase":{"body":"green pear"}})").size(), 1u);
}

TEST_F(Bm25Test, MultiMatchTypes) {
  // "fox" in title (d1, d2) and in body (d3: the only body, so N = 1, df = 1:
  // idf = ln(1 + 0.5 / 1.5) = 0.287682, dl = avgdl = 1: tfn = 1 / 2.2 → 0.130765).
  constexpr double kBodyD3 = 0.287682 / 2.2;
  auto best = Hits(R"({"multi_match":{"query":"fox","fields":["title","body^3"]}})");
  ASSERT_EQ(best.size(), 3u);
  EXPECT_EQ(best[0].first, "d2");
  EXPECT_NEAR(best[0].second, kFoxD2, 1e-4);
  EXPECT_EQ(best[1].first, "d3");  // 3 × 0.130765 = 0.392296 beats d1's 0.354633
  EXPECT_NEAR(best[1].second, 3 * kBodyD3, 1e-4);
  // Patterns expand against the mapping; most_fields sums.
  auto most = Hits(R"({"multi_match":{"query":"fox dog","fields":["t*","b*"],
                       "type":"most_fields"}})");
  ASSERT_EQ(most.size(), 3u);
  double d3 = 0;
  for (const auto& [id, s] : most) d3 = id == "d3" ? s : d3;
  EXPECT_NEAR(d3, 0.693147 * 0.340557 + kBodyD3, 1e-4);
  // best_fields with a tie_breaker adds a share of the other fields.
  auto tie = Hits(R"({"multi_match":{"query":"fox dog","fields":["title","body"],
                      "tie_breaker":0.5}})");
  for (const auto& [id, s] : tie) {
    if (id == "d3") EXPECT_NEAR(s, 0.693147 * 0.340557 + 0.5 * kBodyD3, 1e-4);
  }
  auto phrase = Hits(R"({"multi_match":{"query":"brown fox","type":"phrase",
                         "fields":["title","body"]}})");
  ASSERT_EQ(phrase.size(), 1u);
  EXPECT_NEAR(phrase[0].second, kPhraseD1, 1e-4);
  // A keyword field is a term query (constant score 1).
  auto kw = Hits(R"({"multi_match":{"query":"x","fields":["tag","title"]}})");
  ASSERT_EQ(kw.size(), 1u);
  EXPECT_EQ(kw[0].first, "d1");
  EXPECT_NEAR(kw[0].second, 1.0, 1e-6);
}

TEST_F(Bm25Test, StatisticsFollowUpdatesDeletesAndGarbageCollection) {
  // Rewrite d4 and a filler document many times (stale postings pile up and are collected),
  // then delete the filler: the statistics are those of the four documents again.
  for (int round = 0; round < 300; ++round) {
    Index(R"({"index":{"_id":"d4"}}
{"title":"cat fox fox fox"}
{"index":{"_id":"filler"}}
{"title":"fox dog brown quick the jumps cat"}
)");
  }
  Index(R"({"index":{"_id":"d4"}}
{"title":"cat"}
{"delete":{"_id":"filler"}}
)");
  auto fox = Hits(R"({"match":{"title":"fox"}})");
  ASSERT_EQ(fox.size(), 2u);
  EXPECT_NEAR(fox[0].second, kFoxD2, 1e-4);
  EXPECT_NEAR(fox[1].second, kFoxD1, 1e-4);
  auto p = Hits(R"({"match_phrase":{"title":"brown fox"}})");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NEAR(p[0].second, kPhraseD1, 1e-4);
}

TEST_F(Bm25Test, SimilaritySettingsChangeK1AndB) {
  // k1 = 2, b = 0: no length normalisation. fox: d2 = ln 2 · 2 / (2 + 2) = 0.346574,
  // d1 = ln 2 · 1 / (1 + 2) = 0.231049.
  ASSERT_TRUE(es::CreateIndexJson(*engine_, "s", R"({"settings":{"index":{"similarity":{
      "default":{"type":"BM25","k1":2,"b":0}}}},"mappings":{"properties":{"title":{"type":"text"}}}})")
                  .ok());
  auto r = Bulk(*engine_, "s", R"({"index":{"_id":"d1"}}
{"title":"brown fox"}
{"index":{"_id":"d2"}}
{"title":"fox fox dog"}
{"index":{"_id":"d3"}}
{"title":"the quick brown dog jumps"}
{"index":{"_id":"d4"}}
{"title":"cat"}
)", RefreshPolicy::kTrue);
  ASSERT_TRUE(r.ok());
  auto hits = SearchTyped(*engine_, "s", R"({"query":{"match":{"title":"fox"}}})");
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->hits.size(), 2u);
  EXPECT_NEAR(hits->hits[0].score, 0.346574, 1e-4);
  EXPECT_NEAR(hits->hits[1].score, 0.231049, 1e-4);
  for (const char* bad : {R"({"settings":{"index.similarity.default.b":2}})",
                          R"({"settings":{"index.similarity.default.k1":-1}})",
                          R"({"settings":{"index.similarity.default.k1":"x"}})",
                          R"({"settings":{"index.similarity.default.type":"boolean"}})"}) {
    auto created = es::CreateIndexJson(*engine_, "bad", bad);
    EXPECT_FALSE(created.ok()) << bad;
    if (created.ok()) ASSERT_TRUE(engine_->DeleteIndex("bad").ok());
  }
}

TEST_F(Bm25Test, MalformedTextQueriesAreParsingErrors) {
  for (const char* q : {
           R"({"match":{"title":{"query":"fox","fuzziness":"AUTO"}}})",
           R"({"match":{"title":{"query":"fox","operator":"xor"}}})",
           R"({"match":{"title":{"operator":"and"}}})",
           R"({"match":{"title":{"query":"a b","minimum_should_match":"2<50%"}}})",
           R"({"match_phrase":{"title":{"query":"fox","slop":-1}}})",
           R"({"match_phrase":{"title":{"query":{"x":1}}}})",
           R"({"match_phrase":{"title":{"query":"fox","analyzer":"english"}}})",
           R"({"multi_match":{"fields":["title"]}})",
           R"({"multi_match":{"query":"fox","type":"cross_fields"}})",
           R"({"multi_match":{"query":"fox","type":"nope"}})",
           R"({"multi_match":{"query":"fox","fields":["title^x"]}})",
           R"({"multi_match":{"query":"fox","fields":[1]}})",
           R"({"multi_match":{"query":"fox","tie_breaker":"a"}})",
           R"({"multi_match":"fox"})",
       }) {
    auto r = SearchTyped(*engine_, "b", R"({"query":)" + std::string(q) + "}");
    ASSERT_FALSE(r.ok()) << q;
    EXPECT_EQ(r.status().kind(), ErrorKind::kMalformedRequest) << q << " → " << r.status().ToString();
  }
}

}  // namespace
}  // namespace lookalike::testing
