// The _search / _count codec on its own (server/es/search_codec.h): JSON body + URL parameters →
// the engine's typed requests, with Elasticsearch's error types and texts. No engine involved.
#include "server/es/search_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "server/error_mapping.h"

namespace lookalike::es {
namespace {

SearchRequest ParseOk(std::string_view body, const UrlParams& params = {},
                      const SearchParseOptions& options = {}) {
  auto r = ParseSearchRequest(body, params, options);
  EXPECT_TRUE(r.ok()) << body << ": " << r.status().ToString();
  return r.ok() ? std::move(*r) : SearchRequest();
}

void ExpectError(const Result<SearchRequest>& r, std::string_view type, std::string_view reason) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(server::ErrorTypeFor(r.status()), type) << r.status().ToString();
  EXPECT_EQ(r.status().message(), reason);
}

TEST(SearchCodec, EmptyBodyIsMatchAllWithDefaults) {
  for (std::string_view body : {"", "  \n", "{}"}) {
    SearchRequest r = ParseOk(body);
    EXPECT_FALSE(r.query.has_value());
    EXPECT_TRUE(r.knn.empty());
    EXPECT_FALSE(r.post_filter.has_value());
    EXPECT_EQ(r.size, 10);
    EXPECT_EQ(r.from, 0);
    EXPECT_EQ(r.track_total_hits, 10000);
    EXPECT_TRUE(r.source.enabled && r.source.Trivial());
    EXPECT_TRUE(r.ScoreSorted());
    EXPECT_FALSE(r.search_after.has_value());
    EXPECT_FALSE(r.min_score.has_value());
  }
}

TEST(SearchCodec, BodyMembersBecomeTypedValues) {
  SearchRequest r = ParseOk(R"({"query":{"term":{"c":"x"}},"post_filter":{"exists":{"field":"p"}},
      "size":3,"from":2,"_source":{"includes":["a*"],"excludes":["b"]},
      "sort":["_score",{"price":"desc"},{"name":{"order":"asc"}},"_doc"],
      "track_total_hits":false,"min_score":0.5,"seq_no_primary_term":true,"version":true,
      "search_after":[1.5,"k",null,true],
      "aggs":{"by_c":{"terms":{"field":"c","size":3}},"mean":{"avg":{"field":"price"}}}})");
  ASSERT_TRUE(r.query.has_value());
  EXPECT_EQ(std::get<TermsNode>(r.query->node).values, std::vector<std::string>{"x"});
  ASSERT_TRUE(r.post_filter.has_value());
  EXPECT_EQ(std::get<ExistsNode>(r.post_filter->node).field, "p");
  EXPECT_EQ(r.size, 3);
  EXPECT_EQ(r.from, 2);
  EXPECT_EQ(r.source.includes, std::vector<std::string>{"a*"});
  EXPECT_EQ(r.source.excludes, std::vector<std::string>{"b"});
  ASSERT_EQ(r.sort.size(), 4u);
  EXPECT_EQ(r.sort[0].kind, SortKey::Kind::kScore);
  EXPECT_TRUE(r.sort[0].desc);
  EXPECT_EQ(r.sort[1].kind, SortKey::Kind::kField);
  EXPECT_EQ(r.sort[1].field, "price");
  EXPECT_TRUE(r.sort[1].desc);
  EXPECT_FALSE(r.sort[2].desc);
  EXPECT_EQ(r.sort[3].kind, SortKey::Kind::kDoc);
  EXPECT_FALSE(r.sort[3].desc);
  EXPECT_EQ(r.track_total_hits, 0);
  ASSERT_TRUE(r.min_score.has_value());
  EXPECT_DOUBLE_EQ(*r.min_score, 0.5);
  EXPECT_TRUE(r.seq_no_primary_term);
  EXPECT_TRUE(r.version);
  ASSERT_TRUE(r.search_after.has_value());
  EXPECT_EQ(*r.search_after,
            (std::vector<SortValue>{SortValue::Number(1.5), SortValue::String("k"),
                                    SortValue::Missing(), SortValue::String("true")}));
  ASSERT_EQ(r.aggs.size(), 2u);
  EXPECT_EQ(r.aggs[0].name, "by_c");
  EXPECT_EQ(r.aggs[0].kind, AggRequest::Kind::kTerms);
  EXPECT_EQ(r.aggs[0].size, 3);
  EXPECT_EQ(r.aggs[1].kind, AggRequest::Kind::kAvg);
  EXPECT_EQ(r.aggs[1].field, "price");
}

TEST(SearchCodec, EveryUrlParameterOverridesTheBody) {
  const char* body = R"({"size":3,"from":1,"_source":["q"],"sort":["a"],"track_total_hits":5,
      "seq_no_primary_term":true,"version":false})";
  SearchRequest r = ParseOk(body, {{"size", "7"},
                                   {"from", "4"},
                                   {"_source", "x,y"},
                                   {"_source_excludes", "z"},
                                   {"sort", "b:desc,_score,c"},
                                   {"track_total_hits", "true"},
                                   {"seq_no_primary_term", "false"},
                                   {"version", ""}});
  EXPECT_EQ(r.size, 7);
  EXPECT_EQ(r.from, 4);
  EXPECT_TRUE(r.source.enabled);
  EXPECT_EQ(r.source.includes, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(r.source.excludes, std::vector<std::string>{"z"});
  ASSERT_EQ(r.sort.size(), 3u);
  EXPECT_EQ(r.sort[0].field, "b");
  EXPECT_TRUE(r.sort[0].desc);
  EXPECT_EQ(r.sort[1].kind, SortKey::Kind::kScore);
  EXPECT_TRUE(r.sort[1].desc);
  EXPECT_FALSE(r.sort[2].desc);
  EXPECT_EQ(r.track_total_hits, -1);
  EXPECT_FALSE(r.seq_no_primary_term);
  EXPECT_TRUE(r.version);  // a bare ?version is true

  EXPECT_TRUE(ParseOk("", {{"_source", "false"}}).source.enabled == false);
  SearchRequest on = ParseOk(R"({"_source":false})", {{"_source", "true"}});
  EXPECT_TRUE(on.source.enabled);
  EXPECT_EQ(ParseOk("", {{"_source_includes", "p,q"}}).source.includes,
            (std::vector<std::string>{"p", "q"}));
  EXPECT_EQ(ParseOk("", {{"track_total_hits", "false"}}).track_total_hits, 0);
  EXPECT_EQ(ParseOk("", {{"track_total_hits", "42"}}).track_total_hits, 42);
  // A name given twice takes its last value, as Elasticsearch.
  EXPECT_EQ(ParseOk("", {{"size", "1"}, {"size", "2"}}).size, 2);
}

TEST(SearchCodec, MalformedUrlParametersKeepTheirErrors) {
  ExpectError(ParseSearchRequest("", {{"size", "abc"}}), "illegal_argument_exception",
              "Failed to parse int parameter [size] with value [abc]");
  ExpectError(ParseSearchRequest("", {{"from", "-4"}}), "illegal_argument_exception",
              "Failed to parse int parameter [from] with value [-4]");
  ExpectError(ParseSearchRequest("", {{"sort", "a:up"}}), "illegal_argument_exception",
              "Unknown SortOrder [up]");
  ExpectError(ParseSearchRequest("", {{"track_total_hits", "maybe"}}),
              "illegal_argument_exception",
              "[track_total_hits] must be true, false or a non-negative integer");
  ExpectError(ParseSearchRequest("", {{"version", "yes"}}), "illegal_argument_exception",
              "Failed to parse value [yes] of parameter [version], only [true] or [false] are "
              "allowed");
  ExpectError(ParseSearchRequest("", {{"seq_no_primary_term", "1"}}),
              "illegal_argument_exception",
              "Failed to parse value [1] of parameter [seq_no_primary_term], only [true] or "
              "[false] are allowed");
  // URL integers are checked before the body is read.
  ExpectError(ParseSearchRequest("{bad", {{"size", "x"}}), "illegal_argument_exception",
              "Failed to parse int parameter [size] with value [x]");
}

TEST(SearchCodec, QueryStringBecomesAMatchQuery) {
  SearchRequest r = ParseOk(R"({"query":{"term":{"c":"x"}}})", {{"q", "title:red shoes"}});
  ASSERT_TRUE(r.query.has_value());
  const auto& m = std::get<MatchNode>(r.query->node);  // ?q= replaces the body's query
  EXPECT_EQ(m.field, "title");
  EXPECT_EQ(m.text, "red shoes");
  EXPECT_FALSE(m.all);
  EXPECT_FLOAT_EQ(m.boost, 1.0f);
  // Only the first colon splits: the value may hold more.
  EXPECT_EQ(std::get<MatchNode>(ParseOk("", {{"q", "t:10:30"}}).query->node).text, "10:30");
  for (const char* all : {"*", "*:*", ""}) {
    SearchRequest kept = ParseOk(R"({"query":{"ids":{"values":["1"]}}})", {{"q", all}});
    ASSERT_TRUE(kept.query.has_value()) << all;
    EXPECT_TRUE(std::holds_alternative<IdsNode>(kept.query->node)) << all;
    EXPECT_FALSE(ParseOk("", {{"q", all}}).query.has_value()) << all;
  }
  ExpectError(ParseSearchRequest("", {{"q", "just words"}}), "illegal_argument_exception",
              "only field:value query strings are supported in ?q=");
  // A body query that q replaces is not parsed (nor counted).
  EXPECT_TRUE(ParseSearchRequest(R"({"query":{"nope":{}}})", {{"q", "a:b"}}).ok());

  auto count = ParseCountRequest(R"({"query":{"match_all":{}}})", {{"q", "c:x"}});
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(std::get<MatchNode>(count->query->node).field, "c");
  auto bad = ParseCountRequest("", {{"q", "x"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().kind(), ErrorKind::kInvalidValue);
}

TEST(SearchCodec, MalformedBodiesKeepTheirErrors) {
  struct Case {
    const char* body;
    const char* type;
    const char* reason;  // exact, or a part when it starts with '~'
  } cases[] = {
      {"[1]", "parsing_exception", "request body must be a JSON object"},
      {R"({"nope":1})", "parsing_exception", "Unknown key for a START_OBJECT in [nope]."},
      {R"({"size":-1})", "illegal_argument_exception",
       "[size] parameter cannot be negative, found [-1]"},
      {R"({"from":1.5})", "parsing_exception", "[from] must be an integer"},
      {R"({"sort":[{"a":"up"}]})", "illegal_argument_exception", "Unknown SortOrder [up]"},
      {R"({"sort":[{"a":"asc","b":"asc"}]})", "parsing_exception",
       "[sort] entries must have exactly one field"},
      {R"({"sort":[1]})", "parsing_exception", "[sort] entries must be strings or objects"},
      {R"({"search_after":5})", "parsing_exception", "[search_after] must be an array"},
      {R"({"track_total_hits":{}})", "parsing_exception", "[track_total_hits] malformed"},
      {R"({"min_score":"x"})", "parsing_exception", "[min_score] malformed"},
      {R"({"_source":{"only":["a"]}})", "parsing_exception", "[_source] unknown key [only]"},
      {R"({"aggs":{"a":{"terms":{"field":"c"},"aggs":{}}}})", "illegal_argument_exception",
       "sub-aggregations are not supported (in [a])"},
      {R"({"aggs":{"a":{"median":{"field":"c"}}}})", "illegal_argument_exception",
       "~aggregation type [median] of [a] is not supported"},
      {R"({"query":{"nope":{}}})", "parsing_exception", "unknown query [nope]"},
      {R"({"post_filter":{"bool":{"maybe":[]}}})", "parsing_exception",
       "[bool] query does not support [maybe]"},
      {R"({"knn":{"field":"v"}})", "parsing_exception", "[knn] requires [query_vector]"},
      {R"({"knn":{"field":"v","query_vector":[1],"k":5,"num_candidates":2}})",
       "illegal_argument_exception", "[num_candidates] cannot be less than [k]"},
      {"{bad", "parsing_exception", "~"},
  };
  for (const Case& c : cases) {
    auto r = ParseSearchRequest(c.body, {});
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(server::ErrorTypeFor(r.status()), c.type) << c.body << ": " << r.status().ToString();
    if (c.reason[0] == '~') {
      EXPECT_NE(r.status().message().find(c.reason + 1), std::string::npos)
          << c.body << ": " << r.status().message();
    } else {
      EXPECT_EQ(r.status().message(), c.reason) << c.body;
    }
  }
  auto count = ParseCountRequest(R"({"query":{"match_all":{}},"size":1})", {});
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.status().kind(), ErrorKind::kMalformedRequest);
  EXPECT_EQ(count.status().message(), "request does not support [size]");
}

std::string BoolOfTerms(int n) {
  std::string body = R"({"bool":{"should":[)";
  for (int i = 0; i < n; ++i) body += (i ? "," : "") + std::string(R"({"term":{"k":"a"}})");
  return body + "]}}";
}

TEST(SearchCodec, ClauseLimitIsCountedBeforeParsing) {
  SearchParseOptions limit;
  limit.max_clause_count = 10;
  EXPECT_TRUE(ParseSearchRequest(R"({"query":)" + BoolOfTerms(10) + "}", {}, limit).ok());
  auto over = ParseSearchRequest(R"({"query":)" + BoolOfTerms(11) + "}", {}, limit);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().kind(), ErrorKind::kSearchRejected);
  EXPECT_NE(over.status().message().find("maxClauseCount is set to 10"), std::string::npos);
  // query, knn filters and post_filter add up; a clause that would not parse is never reached.
  std::string split = R"({"query":)" + BoolOfTerms(6) + R"(,"post_filter":)" + BoolOfTerms(5) +
                      "}";
  EXPECT_FALSE(ParseSearchRequest(split, {}, limit).ok());
  std::string malformed_beyond = R"({"query":)" + BoolOfTerms(20) + R"(,"post_filter":{"x":1}})";
  EXPECT_EQ(ParseSearchRequest(malformed_beyond, {}, limit).status().kind(),
            ErrorKind::kSearchRejected);
  EXPECT_EQ(ParseCountRequest(R"({"query":)" + BoolOfTerms(11) + "}", {}, 10).status().kind(),
            ErrorKind::kSearchRejected);
  EXPECT_EQ(ParseQueryJson(BoolOfTerms(11), 10).status().kind(), ErrorKind::kSearchRejected);
}

TEST(SearchCodec, TopLevelKnnEntriesTakeTheFinalSizeAsDefaultK) {
  const char* body = R"({"size":4,"knn":[{"field":"v","query_vector":[1,2]},
      {"field":"w","query_vector":[3],"k":2,"num_candidates":7,"filter":{"term":{"c":"x"}}}]})";
  SearchRequest r = ParseOk(body, {{"size", "6"}});
  ASSERT_EQ(r.knn.size(), 2u);
  EXPECT_EQ(r.knn[0].field, "v");
  EXPECT_EQ(r.knn[0].vector, (std::vector<float>{1, 2}));
  EXPECT_EQ(r.knn[0].k, 6u);  // the URL's size wins over the body's, and is the default k
  EXPECT_EQ(r.knn[0].ef_search, 100);
  EXPECT_EQ(r.knn[1].k, 2u);
  EXPECT_EQ(r.knn[1].ef_search, 7);
  ASSERT_NE(r.knn[1].filter, nullptr);
  SearchRequest one = ParseOk(R"({"knn":{"field":"v","query_vector":[1]}})");
  ASSERT_EQ(one.knn.size(), 1u);
  EXPECT_EQ(one.knn[0].k, 10u);
}

TEST(SearchCodec, ScrollAndNeuralOptionsSkipWhatTheCallerOwns) {
  SearchParseOptions scroll;
  scroll.scroll = true;
  SearchRequest s = ParseOk(R"({"scroll":"1m","search_after":[1],"size":2})", {}, scroll);
  EXPECT_FALSE(s.search_after.has_value());
  EXPECT_EQ(s.size, 2);
  EXPECT_FALSE(ParseSearchRequest(R"({"scroll":"1m"})", {}).ok());  // not a search member

  SearchParseOptions skip;
  skip.skip_query = true;
  SearchRequest n = ParseOk(R"({"query":{"neural":{"f":{}}},"size":3})", {}, skip);
  EXPECT_FALSE(n.query.has_value());
  EXPECT_EQ(n.size, 3);
}

TEST(SearchCodec, SourceParametersOfGetAndMget) {
  EXPECT_TRUE(SourceFilterFromUrl({}).enabled);
  EXPECT_FALSE(SourceFilterFromUrl({{"_source", "false"}}).enabled);
  SourceFilter f = SourceFilterFromUrl({{"_source", "a,b"}, {"_source_excludes", "c"}});
  EXPECT_EQ(f.includes, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(f.excludes, std::vector<std::string>{"c"});
  // An _mget entry's own _source replaces ?_source; the includes/excludes parameters still apply.
  std::string own = "d";
  SourceFilter entry =
      SourceFilterFromUrl({{"_source", "false"}, {"_source_excludes", "c"}}, &own);
  EXPECT_TRUE(entry.enabled);
  EXPECT_EQ(entry.includes, std::vector<std::string>{"d"});
  EXPECT_EQ(entry.excludes, std::vector<std::string>{"c"});
}

TEST(SearchCodec, QueryJsonIsOneQueryObject) {
  auto q = ParseQueryJson(R"({"range":{"p":{"gte":1}}})");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_TRUE(std::holds_alternative<RangeNode>(q->node));
  EXPECT_EQ(ParseQueryJson("[1]").status().kind(), ErrorKind::kMalformedRequest);
  EXPECT_EQ(ParseQueryJson("{").status().kind(), ErrorKind::kMalformedRequest);
}

TEST(SearchCodec, CollapseNamesItsField) {
  SearchRequest r = ParseOk(R"({"collapse":{"field":"cat","max_concurrent_group_searches":4}})");
  ASSERT_TRUE(r.collapse.has_value());
  EXPECT_EQ(r.collapse->field, "cat");
  EXPECT_FALSE(ParseOk("{}").collapse.has_value());
  ExpectError(ParseSearchRequest(R"({"collapse":{}})", {}), "parsing_exception",
              "[collapse] requires [field]");
  ExpectError(ParseSearchRequest(R"({"collapse":"cat"})", {}), "parsing_exception",
              "[collapse] must be an object");
  ExpectError(ParseSearchRequest(R"({"collapse":{"field":"c","max_concurrent_group_searches":0}})",
                                 {}),
              "illegal_argument_exception",
              "[max_concurrent_group_searches] must be a positive integer");
  SearchParseOptions scroll;
  scroll.scroll = true;
  ExpectError(ParseSearchRequest(R"({"collapse":{"field":"c"}})", {}, scroll),
              "illegal_argument_exception", "cannot use `collapse` in a scroll context");
}

TEST(SearchCodec, CollapseInnerHits) {
  SearchRequest one = ParseOk(R"({"collapse":{"field":"cat","inner_hits":{"name":"top"}}})");
  ASSERT_EQ(one.collapse->inner_hits.size(), 1u);
  const InnerHitsRequest& d = one.collapse->inner_hits[0];
  EXPECT_EQ(d.name, "top");
  EXPECT_EQ(d.size, 3);  // Elasticsearch's defaults
  EXPECT_EQ(d.from, 0);
  EXPECT_TRUE(d.ScoreSorted());
  EXPECT_TRUE(d.source.enabled);

  SearchRequest two = ParseOk(R"({"collapse":{"field":"cat","inner_hits":[
      {"name":"cheap","size":5,"from":2,"sort":[{"price":"asc"},"_score"],
       "_source":["title"],"version":true,"highlight":{"fields":{"t":{}}}},
      {"name":"best","sort":{"rank":{"order":"desc"}},"_source":false}]}})");
  ASSERT_EQ(two.collapse->inner_hits.size(), 2u);
  const InnerHitsRequest& cheap = two.collapse->inner_hits[0];
  EXPECT_EQ(cheap.name, "cheap");
  EXPECT_EQ(cheap.size, 5);
  EXPECT_EQ(cheap.from, 2);
  ASSERT_EQ(cheap.sort.size(), 2u);
  EXPECT_EQ(cheap.sort[0].field, "price");
  EXPECT_FALSE(cheap.sort[0].desc);
  EXPECT_EQ(cheap.sort[1].kind, SortKey::Kind::kScore);
  EXPECT_EQ(cheap.source.includes, std::vector<std::string>{"title"});
  EXPECT_TRUE(cheap.version);
  const InnerHitsRequest& best = two.collapse->inner_hits[1];
  ASSERT_EQ(best.sort.size(), 1u);
  EXPECT_TRUE(best.sort[0].desc);
  EXPECT_FALSE(best.source.enabled);
  EXPECT_TRUE(ParseOk(R"({"collapse":{"field":"c","inner_hits":[]}})").collapse->inner_hits
                  .empty());

  auto bad = [](const char* inner, const char* type, const char* reason) {
    ExpectError(ParseSearchRequest(std::string(R"({"collapse":{"field":"c","inner_hits":)") +
                                       inner + "}}",
                                   {}),
                type, reason);
  };
  bad(R"("top")", "parsing_exception",
      "[collapse] [inner_hits] must be an object or an array of objects");
  bad(R"([{"name":"a"},3])", "parsing_exception",
      "[collapse] [inner_hits] entries must be objects");
  bad(R"({"name":"a","colour":"red"})", "parsing_exception", "[inner_hits] unknown field [colour]");
  bad(R"({"size":2})", "illegal_argument_exception",
      "[inner_hits] must have a [name] when used with [collapse]");
  bad(R"({"name":""})", "parsing_exception", "[inner_hits] [name] must be a non-empty string");
  bad(R"([{"name":"a"},{"name":"a","size":1}])", "illegal_argument_exception",
      "[inner_hits] already contains an entry for key [a]");
  bad(R"({"name":"a","size":-1})", "illegal_argument_exception",
      "[size] parameter cannot be negative, found [-1]");
  bad(R"({"name":"a","from":1.5})", "parsing_exception", "[from] must be an integer");
  bad(R"({"name":"a","sort":[{"p":"up"}]})", "illegal_argument_exception",
      "Unknown SortOrder [up]");
  bad(R"({"name":"a","_source":{"nope":1}})", "parsing_exception", "[_source] unknown key [nope]");
  bad(R"({"name":"a","version":"yes"})", "parsing_exception",
      "[inner_hits] [version] must be a boolean");
}

// Keys that would change which hits come back are refused by name, never silently ignored;
// keys that only shape the response (highlight, profile, ...) are still accepted.
TEST(SearchCodec, KeysThatWouldChangeTheHitsAreRefusedByName) {
  for (const char* key : {"rescore", "terminate_after", "indices_boost", "pit", "retriever"}) {
    std::string body = std::string("{\"") + key + "\":{}}";
    ExpectError(ParseSearchRequest(body, {}), "illegal_argument_exception",
                std::string("[") + key + "] is not supported by Lookalike");
  }
  ParseOk(R"({"highlight":{"fields":{"t":{}}},"profile":true,"timeout":"1s","explain":true})");
}

TEST(SearchCodec, KnnQueryVectorBuilderLookup) {
  SearchRequest r = ParseOk(R"({"knn":{"field":"v","k":3,"query_vector_builder":{"lookup":
      {"index":"imgs","id":"a1","path":"emb","routing":"x"}}}})");
  ASSERT_EQ(r.knn.size(), 1u);
  ASSERT_TRUE(r.knn[0].lookup.has_value());
  EXPECT_EQ(r.knn[0].lookup->index, "imgs");
  EXPECT_EQ(r.knn[0].lookup->id, "a1");
  EXPECT_EQ(r.knn[0].lookup->path, "emb");
  EXPECT_EQ(r.knn[0].lookup->routing, "x");  // the example's shard in cluster mode
  EXPECT_TRUE(r.knn[0].vector.empty());
  EXPECT_FALSE(ParseOk(R"({"knn":{"field":"v","k":3,"query_vector_builder":{"lookup":
      {"index":"imgs","id":"a1","path":"emb"}}}})").knn[0].lookup->routing.has_value());
  ExpectError(ParseSearchRequest(R"({"knn":{"field":"v","k":3,"query_vector_builder":{"lookup":
                  {"index":"i","id":"a","path":"p","routing":7}}}})", {}),
              "parsing_exception", "[lookup] [routing] must be a non-empty string");
  ExpectError(ParseSearchRequest(R"({"knn":{"field":"v","k":3,"query_vector":[1],
                  "query_vector_builder":{"lookup":{"index":"i","id":"a","path":"p"}}}})", {}),
              "illegal_argument_exception",
              "Exactly one of [query_vector] or [query_vector_builder] must be provided");
  ExpectError(ParseSearchRequest(R"({"knn":{"field":"v","k":3,"query_vector_builder":
                  {"text_embedding":{"model_id":"m","model_text":"t"}}}})", {}),
              "illegal_argument_exception",
              "[query_vector_builder] [text_embedding] is not supported; only [lookup] and [recommend] are");
  ExpectError(ParseSearchRequest(R"({"knn":{"field":"v","k":3,"query_vector_builder":
                  {"lookup":{"index":"i","path":"p"}}}})", {}),
              "parsing_exception", "[lookup] requires [id]");
  ExpectError(ParseSearchRequest(R"({"knn":{"field":"v","k":3,"query_vector_builder":
                  {"lookup":{"index":"i","id":7,"path":"p"}}}})", {}),
              "parsing_exception", "[lookup] [id] must be a non-empty string");
}

}  // namespace
}  // namespace lookalike::es

namespace lookalike::es {
namespace {

// The OpenSearch neural query is a query node (the engine embeds it); a top-level one answers
// with k hits unless a size is given.
TEST(SearchCodec, NeuralQueryNode) {
  SearchRequest r = ParseOk(
      R"({"_source":["path"],"query":{"neural":{"emb":{"query_image":"aGk=","k":7,)"
      R"("filter":{"term":{"c":"x"}},"model_id":"m1","boost":2}}}})");
  const auto& n = std::get<NeuralNode>(r.query->node);
  EXPECT_EQ(n.field, "emb");
  EXPECT_EQ(std::string(n.image.begin(), n.image.end()), "hi");
  EXPECT_EQ(n.k, 7u);
  EXPECT_EQ(n.model, "m1");
  EXPECT_EQ(n.boost, 2.0f);
  ASSERT_NE(n.filter, nullptr);
  EXPECT_EQ(std::get<TermsNode>(n.filter->node).field, "c");
  EXPECT_EQ(r.size, 7);
  EXPECT_EQ(ParseOk(R"({"size":3,"query":{"neural":{"e":{"query_image":"aGk="}}}})").size, 3);
  EXPECT_EQ(ParseOk(R"({"query":{"neural":{"e":{"query_image":"aGk="}}}})", {{"size", "4"}}).size,
            4);
  EXPECT_EQ(ParseOk(R"({"query":{"neural":{"e":{"query_image":"aGk="}}}})").size, 10);
  SearchRequest text = ParseOk(R"({"query":{"neural":{"e":{"query_text":"a cat"}}}})");
  EXPECT_EQ(std::get<NeuralNode>(text.query->node).text, "a cat");
  SearchRequest nested = ParseOk(
      R"({"query":{"bool":{"must":[{"neural":{"e":{"query_image":"aGk="}}}]}}})");
  EXPECT_TRUE(nested.query->HasNeural());
  EXPECT_TRUE(nested.query->HasKnn());
  EXPECT_EQ(nested.size, 10);  // only a top-level neural query sets the size
}

TEST(SearchCodec, MalformedNeuralQueries) {
  for (const char* body : {
           R"({"query":{"neural":{}}})",
           R"({"query":{"neural":{"a":{"query_image":"aGk="},"b":{"query_image":"aGk="}}}})",
           R"({"query":{"neural":{"a":{"k":3}}}})",
           R"({"query":{"neural":{"a":{"query_image":"***"}}}})",
           R"({"query":{"neural":{"a":{"query_image":"aGk=","k":0}}}})",
           R"({"query":{"neural":{"a":{"query_image":"aGk=","k":10001}}}})",
           R"({"query":{"neural":{"a":{"query_image":"aGk=","query_text":"x"}}}})",
           R"({"query":{"neural":{"a":{"query_image":"aGk=","bogus":1}}}})",
           R"({"query":{"neural":{"a":{"query_image":"aGk=","filter":{"nope":{}}}}}})",
           R"({"query":{"neural":{"a":"aGk="}}})",
       }) {
    auto r = ParseSearchRequest(body, {});
    EXPECT_FALSE(r.ok()) << body;
    if (!r.ok()) EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << body;
  }
  // The filter counts towards the clause limit like a knn filter.
  SearchParseOptions two;
  two.max_clause_count = 2;
  auto over = ParseSearchRequest(
      R"({"query":{"neural":{"a":{"query_image":"aGk=","filter":{"bool":{"must":[)"
      R"({"term":{"c":1}},{"term":{"c":2}}]}}}}}})",
      {}, two);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(server::ErrorTypeFor(over.status()), "search_phase_execution_exception");
}

}  // namespace
}  // namespace lookalike::es
