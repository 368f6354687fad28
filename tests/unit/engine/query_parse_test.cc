// The query DSL parser (JSON → QueryNode) on its own: syntax without a mapping, and the same
// tree compiled against indices whose mappings give it different meanings.
#include <simdjson.h>

#include <variant>

#include "server/es/query_parse.h"
#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

using es::ParseQueryNode;
using es::ParseTopLevelKnnNode;

Result<QueryNode> Parse(simdjson::dom::parser& parser, const char* json) {
  return ParseQueryNode(parser.parse(std::string_view(json)).value());
}

TEST(QueryParse, BoolTreeKeepsClausesAndOptions) {
  simdjson::dom::parser parser;
  auto q = Parse(parser, R"({"bool":{"must":{"match":{"title":{"query":"red fox","operator":"and"}}},
      "filter":[{"term":{"tags":{"value":"red","boost":2}}},{"range":{"price":{"gt":"10","lte":20}}}],
      "should":[{"ids":{"values":["a",7]}}],"must_not":[{"exists":{"field":"extra"}}],
      "minimum_should_match":"75%","boost":3}})");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  const auto& b = std::get<BoolNode>(q->node);
  EXPECT_EQ(b.minimum_should_match, "75%");
  EXPECT_FLOAT_EQ(b.boost, 3.0f);
  ASSERT_EQ(b.must.size(), 1u);
  const auto& m = std::get<MatchNode>(b.must[0].node);
  EXPECT_EQ(m.field, "title");
  EXPECT_EQ(m.text, "red fox");
  EXPECT_TRUE(m.all);
  ASSERT_EQ(b.filter.size(), 2u);
  const auto& t = std::get<TermsNode>(b.filter[0].node);
  EXPECT_EQ(t.values, std::vector<std::string>{"red"});
  EXPECT_FLOAT_EQ(t.boost, 2.0f);
  const auto& r = std::get<RangeNode>(b.filter[1].node);
  EXPECT_TRUE(r.lower.present && r.lower.is_string && r.lower.has_number);
  EXPECT_DOUBLE_EQ(r.lower.number, 10.0);
  EXPECT_FALSE(r.include_lower);
  EXPECT_TRUE(r.upper.present && !r.upper.is_string);
  EXPECT_EQ(r.upper.text, "20");
  EXPECT_TRUE(r.include_upper);
  EXPECT_EQ(std::get<IdsNode>(b.should[0].node).ids, (std::vector<std::string>{"a", "7"}));
  EXPECT_EQ(std::get<ExistsNode>(b.must_not[0].node).field, "extra");
  EXPECT_FALSE(q->HasKnn());
}

TEST(QueryParse, KnnInBothDialects) {
  simdjson::dom::parser parser;
  auto os = Parse(parser, R"({"knn":{"v":{"vector":[1,2.5],"k":3,"method_parameters":{"ef_search":50},
      "filter":[{"term":{"c":"x"}},{"term":{"d":"y"}}]}}})");
  ASSERT_TRUE(os.ok()) << os.status().ToString();
  const auto& k = std::get<KnnNode>(os->node);
  EXPECT_EQ(k.field, "v");
  EXPECT_EQ(k.vector, (std::vector<float>{1.0f, 2.5f}));
  EXPECT_EQ(k.k, 3u);
  EXPECT_EQ(k.ef_search, 50);
  ASSERT_TRUE(k.filter);
  EXPECT_EQ(std::get<BoolNode>(k.filter->node).filter.size(), 2u);  // an array filter is an AND
  EXPECT_TRUE(os->HasKnn());

  simdjson::dom::element es = parser.parse(std::string_view(
      R"([{"field":"v","query_vector":[0,1],"k":5,"similarity":0.5},
          {"field":"w","query_vector":[1],"num_candidates":40}])")).value();
  auto top = ParseTopLevelKnnNode(es, 8);
  ASSERT_TRUE(top.ok()) << top.status().ToString();
  const auto& should = std::get<BoolNode>(top->node).should;
  ASSERT_EQ(should.size(), 2u);
  const auto& first = std::get<KnnNode>(should[0].node);
  EXPECT_EQ(first.k, 5u);
  EXPECT_EQ(first.ef_search, 100);  // Elasticsearch's default num_candidates: max(1.5k, 100)
  ASSERT_TRUE(first.similarity.has_value());
  EXPECT_FLOAT_EQ(*first.similarity, 0.5f);
  const auto& second = std::get<KnnNode>(should[1].node);
  EXPECT_EQ(second.k, 8u);          // the request's size when the entry has no k
  EXPECT_EQ(second.ef_search, 40);
}

TEST(QueryParse, SyntaxErrorsNeedNoMapping) {
  simdjson::dom::parser parser;
  struct Case {
    const char* json;
    ErrorKind kind;
    const char* reason_part;
  } cases[] = {
      {R"({"nope":{}})", ErrorKind::kMalformedRequest, "unknown query [nope]"},
      {R"({})", ErrorKind::kMalformedRequest, "empty clause"},
      {R"({"term":{"a":1,"b":2}})", ErrorKind::kMalformedRequest, "multiple fields"},
      {R"({"bool":{"maybe":[]}})", ErrorKind::kMalformedRequest, "does not support [maybe]"},
      {R"({"range":{"a":{"near":1}}})", ErrorKind::kMalformedRequest, "does not support [near]"},
      {R"({"knn":{"v":{"vector":[1,2]}}})", ErrorKind::kInvalidValue, "exactly one of k"},
      {R"({"knn":{"v":{"vector":[],"k":1}}})", ErrorKind::kInvalidValue, "must not be empty"},
      {R"({"knn":{"v":{"vector":[1],"k":0}}})", ErrorKind::kInvalidValue, "between 1 and"},
      {R"({"knn":{"v":{"vector":"x","k":1}}})", ErrorKind::kMalformedRequest, "array of numbers"},
      {R"({"terms":{"a":"x"}})", ErrorKind::kMalformedRequest, "array of values"},
  };
  for (const Case& c : cases) {
    auto q = Parse(parser, c.json);
    ASSERT_FALSE(q.ok()) << c.json;
    EXPECT_EQ(q.status().kind(), c.kind) << c.json;
    EXPECT_NE(q.status().message().find(c.reason_part), std::string::npos)
        << c.json << " → " << q.status().message();
  }
}

// One parsed tree, two mappings: "2024-01-05" is a date bound in one index and a keyword bound
// in the other, and a vector of the wrong dimension only fails where the field is smaller.
TEST(QueryParse, OneTreeServesIndicesWithDifferentMappings) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "dates", R"({"mappings":{"properties":{
      "d":{"type":"date"},"v":{"type":"knn_vector","dimension":2}}}})").ok());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "words", R"({"mappings":{"properties":{
      "d":{"type":"keyword"},"v":{"type":"knn_vector","dimension":3}}}})").ok());
  std::string bulk =
      "{\"index\":{\"_index\":\"dates\",\"_id\":\"1\"}}\n{\"d\":\"2024-01-09\",\"v\":[1,0]}\n"
      "{\"index\":{\"_index\":\"words\",\"_id\":\"2\"}}\n{\"d\":\"2024-01-09\",\"v\":[1,0,0]}\n"
      "{\"index\":{\"_index\":\"words\",\"_id\":\"3\"}}\n{\"d\":\"2024-01-1\",\"v\":[0,1,0]}\n";
  ASSERT_TRUE(Bulk(*engine, "", bulk, RefreshPolicy::kTrue).ok());
  // Dates compare as instants (2024-01-09 > 2024-01-05); keywords as text ("2024-01-1" sorts
  // after "2024-01-05" too, "2024-01-09" as well): both indices find their documents.
  auto both = SearchJson(*engine, "dates,words", R"({"query":{"range":{"d":{"gt":"2024-01-05"}}}})");
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(Json(*both).Int("/hits/total/value"), 3);
  auto lt = SearchJson(*engine, "dates,words", R"({"query":{"range":{"d":{"lt":"2024-01-05"}}}})");
  ASSERT_TRUE(lt.ok());
  EXPECT_EQ(Json(*lt).Int("/hits/total/value"), 0);
  auto knn = SearchJson(*engine, "dates", R"({"query":{"knn":{"v":{"vector":[1,0,0],"k":1}}}})");
  ASSERT_FALSE(knn.ok());
  EXPECT_NE(knn.status().message().find("invalid dimension: 3"), std::string::npos);
  EXPECT_TRUE(SearchJson(*engine, "words", R"({"query":{"knn":{"v":{"vector":[1,0,0],"k":1}}}})").ok());
}

}  // namespace
}  // namespace lookalike::testing
