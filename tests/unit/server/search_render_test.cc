// es::RenderSearchResponse / RenderCountResponse: the exact response bytes of typed results.
#include "server/es/search_render.h"

#include <gtest/gtest.h>

namespace lookalike::es {
namespace {

TEST(SearchRender, ScoredHitsWithLeadingMembers) {
  SearchResult r;
  r.took_ms = 3;
  r.shards = {2, 2, 0, 0};
  r.total = {true, 10000, TotalHits::Relation::kGreaterOrEqual};
  r.max_score = 1.5f;
  DocumentHit h;
  h.index = "i";
  h.id = "a\"b";
  h.score = 1.5f;
  h.has_source = true;
  h.source = R"({"x":[1,2]})";
  h.version = 4;
  h.seq_no = 7;
  h.primary_term = 1;
  r.hits.push_back(h);
  EXPECT_EQ(RenderSearchResponse(r, R"("_scroll_id":"s1")"),
            R"({"_scroll_id":"s1","took":3,"timed_out":false,)"
            R"("_shards":{"total":2,"successful":2,"skipped":0,"failed":0},)"
            R"("hits":{"total":{"value":10000,"relation":"gte"},"max_score":1.5,"hits":[)"
            R"({"_index":"i","_id":"a\"b","_version":4,"_seq_no":7,"_primary_term":1,)"
            R"("_score":1.5,"_source":{"x":[1,2]}}]}})");
}

TEST(SearchRender, SortedHitsUntrackedTotalAndAggregations) {
  SearchResult r;
  r.total.tracked = false;
  DocumentHit h;
  h.index = "i";
  h.id = "1";
  h.sort = {SortValue::Missing(), SortValue::Number(3), SortValue::Number(2.5),
            SortValue::Score(0.25f), SortValue::String("k")};
  r.hits.push_back(h);
  AggregationPartial terms;
  terms.name = "t";
  terms.size = 1;
  terms.term_counts = {{"false", 2}, {"true", 5}};
  terms.boolean_keys = true;
  AggregationPartial avg;
  avg.name = "a";
  avg.kind = AggregationPartial::Kind::kAvg;
  avg.sum = 5;
  avg.count = 2;
  AggregationPartial none;
  none.name = "m";
  none.kind = AggregationPartial::Kind::kMin;
  r.aggregations = {terms, avg, none};
  EXPECT_EQ(RenderSearchResponse(r),
            R"({"took":0,"timed_out":false,)"
            R"("_shards":{"total":0,"successful":0,"skipped":0,"failed":0},)"
            R"("hits":{"max_score":null,"hits":[{"_index":"i","_id":"1","_score":null,)"
            R"("sort":[null,3,2.5,0.25,"k"]}]},"aggregations":{)"
            R"("t":{"doc_count_error_upper_bound":0,"sum_other_doc_count":2,"buckets":[)"
            R"({"key":1,"key_as_string":"true","doc_count":5}]},)"
            R"("a":{"value":2.5},"m":{"value":null}}})");
}

TEST(SearchRender, Count) {
  CountResult c;
  c.count = 12;
  c.shards = {1, 1, 0, 0};
  EXPECT_EQ(RenderCountResponse(c),
            R"({"count":12,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0}})");
}

}  // namespace
}  // namespace lookalike::es
