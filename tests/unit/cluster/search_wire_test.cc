// The read path's wire formats: exact round trips over every query node type and every field of
// requests and results, refusal of what must not travel, and refusal of damaged input.
#include "cluster/search_wire.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "cluster/wire_coding.h"
#include "common/coding.h"
#include "common/crc32c.h"

// The samples name only the fields they set (designated initializers); the rest keep their
// defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace lookalike::cluster {
namespace {

bool SameBits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// One node of every type that travels, nested under a bool and a constant_score.
QueryNode EveryNodeType() {
  RangeNode range{.field = "price", .include_lower = false, .include_upper = true, .boost = 2.5f};
  range.lower = {.present = true, .text = "10", .is_string = false, .has_number = true,
                 .number = 10};
  range.upper = {.present = true, .text = "2024-01-31", .is_string = true};
  KnnNode knn{.field = "fvec",
              .vector = {1.0f, -0.0f, std::numeric_limits<float>::denorm_min(),
                         std::numeric_limits<float>::quiet_NaN()},
              .k = 7,
              .ef_search = 99,
              .boost = 0.5f,
              .max_distance = 2.0f,
              .similarity = 0.25f,
              .oversample = 3.0f,
              .rescore = false};
  knn.filter = std::make_shared<QueryNode>(
      QueryNode{TermsNode{.field = "category", .values = {"shoes", "hats"}, .boost = 1.5f}});
  BoolNode b;
  b.must = {QueryNode{MatchNode{.field = "title", .text = "red shoes", .all = true,
                                .minimum_should_match = 2, .boost = 3}}};
  b.filter = {QueryNode{range}, QueryNode{ExistsNode{.field = "tags", .boost = 1.25f}}};
  MultiMatchNode mm{.fields = {{"title", 2.5f}, {"*_name", 1}},
                    .text = "red shoes",
                    .type = MultiMatchNode::Type::kPhrase,
                    .tie_breaker = 0.3f,
                    .all = true,
                    .minimum_should_match = 1,
                    .slop = 2,
                    .boost = 1.5f};
  b.should = {QueryNode{IdsNode{.ids = {"a", std::string("b\0c", 3)}, .boost = 4}},
              QueryNode{knn}, QueryNode{mm}};
  b.must_not = {QueryNode{MatchAllNode{.boost = 1, .none = true}}};
  b.minimum_should_match = "75%";
  b.boost = 0.75f;
  ConstantScoreNode cs{.filter = std::make_shared<QueryNode>(QueryNode{b}), .boost = 9};
  return QueryNode{cs};
}

SearchRequest FullRequest() {
  SearchRequest q;
  q.query = EveryNodeType();
  q.knn = {KnnNode{.field = "fvec", .vector = {0.5f, 0.25f}, .k = 3, .ef_search = 12}};
  q.post_filter = QueryNode{TermsNode{.field = "color", .values = {"red"}}};
  q.size = 17;
  q.from = 4;
  q.source = {.enabled = true, .includes = {"a.*", "b"}, .excludes = {"a.secret"}};
  q.sort = {SortKey::Of("price"), SortKey::Of("_score"), SortKey::Of("_doc")};
  q.sort[0].desc = true;
  q.track_total_hits = -1;
  q.min_score = 0.125;
  q.seq_no_primary_term = true;
  q.version = true;
  q.search_after = std::vector<SortValue>{SortValue::Number(3.5), SortValue::Score(1.5f),
                                          SortValue::String("x"), SortValue::Missing()};
  q.aggs = {AggRequest{"by_cat", AggRequest::Kind::kTerms, "category", 5},
            AggRequest{"mean", AggRequest::Kind::kAvg, "price", 10}};
  q.collapse = CollapseRequest{"category"};
  return q;
}

std::string MustEncode(const SearchRequest& q) {
  auto bytes = EncodeSearchRequest(q);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

TEST(SearchWireTest, SearchRequestRoundTripsEveryNodeAndField) {
  SearchRequest q = FullRequest();
  std::string bytes = MustEncode(q);
  auto back = DecodeSearchRequest(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  // Canonical: the decoded request encodes to the same bytes, so every field survived.
  EXPECT_EQ(MustEncode(*back), bytes);
  // And a few fields read directly, so a field both sides forget would not pass unseen.
  EXPECT_EQ(back->size, 17);
  EXPECT_EQ(back->from, 4);
  EXPECT_EQ(back->track_total_hits, -1);
  EXPECT_EQ(back->min_score, 0.125);
  EXPECT_TRUE(back->seq_no_primary_term && back->version);
  EXPECT_EQ(back->source.includes, q.source.includes);
  EXPECT_EQ(back->source.excludes, q.source.excludes);
  ASSERT_EQ(back->sort.size(), 3u);
  EXPECT_EQ(back->sort[0].field, "price");
  EXPECT_TRUE(back->sort[0].desc);
  EXPECT_EQ(back->sort[2].kind, SortKey::Kind::kDoc);
  EXPECT_EQ(*back->search_after, *q.search_after);
  ASSERT_EQ(back->aggs.size(), 2u);
  EXPECT_EQ(back->aggs[0].size, 5);
  EXPECT_EQ(back->aggs[1].kind, AggRequest::Kind::kAvg);
  EXPECT_EQ(back->collapse->field, "category");
  ASSERT_EQ(back->knn.size(), 1u);
  EXPECT_EQ(back->knn[0].vector, q.knn[0].vector);
  EXPECT_EQ(back->knn[0].ef_search, 12);

  const auto& cs = std::get<ConstantScoreNode>(back->query->node);
  EXPECT_EQ(cs.boost, 9);
  const auto& b = std::get<BoolNode>(cs.filter->node);
  EXPECT_EQ(b.minimum_should_match, "75%");
  EXPECT_EQ(std::get<MatchNode>(b.must[0].node).text, "red shoes");
  EXPECT_EQ(std::get<MatchNode>(b.must[0].node).minimum_should_match, 2);
  const auto& range = std::get<RangeNode>(b.filter[0].node);
  EXPECT_TRUE(range.lower.has_number && !range.lower.is_string && range.lower.number == 10);
  EXPECT_TRUE(range.upper.is_string && range.upper.text == "2024-01-31");
  EXPECT_FALSE(range.include_lower);
  EXPECT_EQ(std::get<ExistsNode>(b.filter[1].node).field, "tags");
  EXPECT_EQ(std::get<IdsNode>(b.should[0].node).ids[1], std::string("b\0c", 3));
  const auto& knn = std::get<KnnNode>(b.should[1].node);
  ASSERT_EQ(knn.vector.size(), 4u);
  EXPECT_TRUE(SameBits(knn.vector[1], -0.0f));
  EXPECT_TRUE(std::isnan(knn.vector[3]));
  EXPECT_EQ(knn.k, 7u);
  EXPECT_EQ(knn.max_distance, 2.0f);
  EXPECT_FALSE(knn.min_score.has_value());
  EXPECT_EQ(knn.similarity, 0.25f);
  EXPECT_EQ(knn.oversample, 3.0f);
  EXPECT_FALSE(knn.rescore);
  EXPECT_EQ(std::get<TermsNode>(knn.filter->node).values[1], "hats");
  const auto& mm = std::get<MultiMatchNode>(b.should[2].node);
  ASSERT_EQ(mm.fields.size(), 2u);
  EXPECT_EQ(mm.fields[0].name, "title");
  EXPECT_EQ(mm.fields[0].boost, 2.5f);
  EXPECT_EQ(mm.fields[1].name, "*_name");
  EXPECT_EQ(mm.text, "red shoes");
  EXPECT_EQ(mm.type, MultiMatchNode::Type::kPhrase);
  EXPECT_EQ(mm.tie_breaker, 0.3f);
  EXPECT_TRUE(mm.all);
  EXPECT_EQ(mm.minimum_should_match, 1);
  EXPECT_EQ(mm.slop, 2);
  EXPECT_EQ(mm.boost, 1.5f);
  EXPECT_TRUE(std::get<MatchAllNode>(b.must_not[0].node).none);
}

TEST(SearchWireTest, DefaultRequestRoundTrips) {
  SearchRequest q;
  auto back = DecodeSearchRequest(MustEncode(q));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->query || back->post_filter || back->min_score || back->search_after ||
               back->collapse);
  EXPECT_EQ(back->size, 10);
  EXPECT_EQ(back->track_total_hits, 10000);
  EXPECT_TRUE(back->source.enabled);
}

TEST(SearchWireTest, NeuralAndUnresolvedLookupDoNotTravel) {
  SearchRequest q;
  q.query = QueryNode{NeuralNode{.field = "fvec", .text = "a cat"}};
  auto neural = EncodeSearchRequest(q);
  ASSERT_FALSE(neural.ok());
  EXPECT_EQ(neural.status().code(), StatusCode::kInvalidArgument);
  // Nested inside a knn filter too.
  KnnNode knn{.field = "fvec", .vector = {1}};
  knn.filter = std::make_shared<QueryNode>(QueryNode{NeuralNode{.image = {1, 2}}});
  q.query.reset();
  q.knn = {knn};
  EXPECT_FALSE(EncodeSearchRequest(q).ok());

  SearchRequest lookup;
  lookup.knn = {KnnNode{.field = "fvec", .lookup = VectorLookup{"photos", "1", "fvec"}}};
  EXPECT_EQ(EncodeSearchRequest(lookup).status().code(), StatusCode::kInvalidArgument);
  SearchRequest recommend;
  KnnNode by_examples{.field = "fvec"};
  by_examples.recommend = VectorRecommend{.index = "photos", .path = "fvec", .positive = {"1"}};
  recommend.knn = {by_examples};
  EXPECT_EQ(EncodeSearchRequest(recommend).status().code(), StatusCode::kInvalidArgument);
}

TEST(SearchWireTest, CollapseInnerHitsRoundTrip) {
  SearchRequest q = FullRequest();
  InnerHitsRequest top{.name = "top", .size = 5, .from = 2};
  top.sort = {SortKey::Of("price"), SortKey::Of("_doc")};
  top.source = {.enabled = true, .includes = {"title"}, .excludes = {"x"}};
  top.version = true;
  InnerHitsRequest bare{.name = "bare"};
  bare.source.enabled = false;
  bare.seq_no_primary_term = true;
  q.collapse->inner_hits = {top, bare};
  std::string bytes = MustEncode(q);
  auto back = DecodeSearchRequest(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(MustEncode(*back), bytes);
  ASSERT_EQ(back->collapse->inner_hits.size(), 2u);
  const InnerHitsRequest& t = back->collapse->inner_hits[0];
  EXPECT_EQ(t.name, "top");
  EXPECT_EQ(t.size, 5);
  EXPECT_EQ(t.from, 2);
  ASSERT_EQ(t.sort.size(), 2u);
  EXPECT_EQ(t.sort[1].kind, SortKey::Kind::kDoc);
  EXPECT_EQ(t.source.includes, top.source.includes);
  EXPECT_EQ(t.source.excludes, top.source.excludes);
  EXPECT_TRUE(t.version);
  const InnerHitsRequest& b = back->collapse->inner_hits[1];
  EXPECT_EQ(b.size, 3);
  EXPECT_FALSE(b.source.enabled);
  EXPECT_TRUE(b.seq_no_primary_term);
  EXPECT_FALSE(b.version);
  // Every truncation of the collapse section is refused.
  for (size_t cut = 1; cut < 40; ++cut) {
    std::string payload = bytes.substr(kWireFrameSize, bytes.size() - kWireFrameSize - cut);
    EXPECT_FALSE(DecodeSearchRequest(FrameWireMessage("LKSQ", payload)).ok()) << cut;
  }
}

TEST(SearchWireTest, NestedKnnInnerHitsRoundTrip) {
  SearchRequest q;
  KnnNode knn{.field = "crops.emb", .vector = {1, 0, 0}, .k = 4};
  knn.score_avg = true;
  knn.inner_hits = NestedInnerHitsRequest{.name = "best", .from = 1, .size = 7,
                                          .all_vectors = false};
  knn.inner_hits->source = {.enabled = true, .includes = {"crops.name"}, .excludes = {}};
  knn.inner_hits->fields = {"crops.name", "crops.tag"};
  q.knn = {knn, KnnNode{.field = "other", .vector = {0, 1, 0}}};
  std::string bytes = MustEncode(q);
  auto back = DecodeSearchRequest(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(MustEncode(*back), bytes);
  ASSERT_EQ(back->knn.size(), 2u);
  EXPECT_TRUE(back->knn[0].score_avg);
  ASSERT_TRUE(back->knn[0].inner_hits.has_value());
  EXPECT_EQ(*back->knn[0].inner_hits, *knn.inner_hits);
  EXPECT_FALSE(back->knn[1].inner_hits.has_value());
  EXPECT_FALSE(back->knn[1].score_avg);
  for (size_t cut = 1; cut < 60; ++cut) {
    std::string payload = bytes.substr(kWireFrameSize, bytes.size() - kWireFrameSize - cut);
    EXPECT_FALSE(DecodeSearchRequest(FrameWireMessage("LKSQ", payload)).ok()) << cut;
  }

  SearchResult r;
  DocumentHit hit{.index = "photos", .id = "1", .score = 0.5f};
  DocumentHit inner{.index = "photos", .id = "1", .score = 0.5f};
  inner.nested = NestedIdentity{"crops", 4};
  inner.has_source = true;
  inner.source = R"({"name":"b"})";
  hit.inner_hits = {InnerHits{.name = "best", .total = 6, .max_score = 0.5f, .hits = {inner}}};
  r.hits = {hit};
  std::string result_bytes = EncodeSearchResult(r);
  auto result = DecodeSearchResult(result_bytes);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(EncodeSearchResult(*result), result_bytes);
  EXPECT_FALSE(result->hits[0].nested.has_value());
  ASSERT_EQ(result->hits[0].inner_hits.size(), 1u);
  ASSERT_EQ(result->hits[0].inner_hits[0].hits.size(), 1u);
  EXPECT_EQ(result->hits[0].inner_hits[0].hits[0].nested, inner.nested);
  EXPECT_EQ(result->hits[0].inner_hits[0].total, 6);
}

TEST(SearchWireTest, CountAndGetRequestsRoundTrip) {
  CountRequest count{.query = EveryNodeType()};
  auto bytes = EncodeCountRequest(count);
  ASSERT_TRUE(bytes.ok());
  auto back = DecodeCountRequest(*bytes);
  ASSERT_TRUE(back.ok());
  auto again = EncodeCountRequest(*back);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *bytes);
  auto empty = EncodeCountRequest(CountRequest{});
  ASSERT_TRUE(empty.ok());
  auto empty_back = DecodeCountRequest(*empty);
  ASSERT_TRUE(empty_back.ok());
  EXPECT_FALSE(empty_back->query.has_value());

  ShardGetRequest get{.id = "doc-1", .source = {.enabled = false, .includes = {"x"}}};
  auto got = DecodeGetRequest(EncodeGetRequest(get));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, "doc-1");
  EXPECT_FALSE(got->source.enabled);
  EXPECT_EQ(got->source.includes, get.source.includes);
}

SearchResult FullResult() {
  SearchResult r;
  r.took_ms = 12;
  r.timed_out = true;
  r.shards = {.total = 3, .successful = 2, .skipped = 0, .failed = 1};
  r.total = {.tracked = true, .value = 10000, .relation = TotalHits::Relation::kGreaterOrEqual};
  r.max_score = 0.875f;
  DocumentHit hit;
  hit.index = "photos~0~abc";
  hit.id = "7";
  hit.score = 0.5f;
  hit.sort = {SortValue::Number(-1e300), SortValue::String("z"), SortValue::Missing(),
              SortValue::Score(0.5f)};
  hit.has_source = true;
  hit.source = R"({"a":1})";
  hit.version = 3;
  hit.seq_no = 44;
  hit.primary_term = 2;
  hit.fields = {HitField{"category", {SortValue::String("shoes")}}};
  DocumentHit member;
  member.index = "photos~0~abc";
  member.id = "9";
  member.score = 0.25f;
  member.sort = {SortValue::Number(2)};
  member.has_source = true;
  member.source = R"({"b":2})";
  hit.inner_hits = {InnerHits{.name = "top", .total = 7, .max_score = 0.5f, .hits = {hit, member}},
                    InnerHits{.name = "none", .total = 0}};
  DocumentHit bare;
  bare.index = "photos~1~abc";
  bare.id = "8";  // score NaN, nothing else
  r.hits = {hit, bare};
  AggregationPartial terms{.name = "by_cat", .kind = AggregationPartial::Kind::kTerms, .size = 3};
  terms.term_counts = {{"hats", 2}, {"shoes", 5}};
  terms.number_counts = {{-1.5, 1}, {2, 8}};
  terms.boolean_keys = true;
  AggregationPartial avg{.name = "mean", .kind = AggregationPartial::Kind::kAvg};
  avg.min = -2;
  avg.max = 9.5;
  avg.sum = 31.25;
  avg.count = 6;
  r.aggregations = {terms, avg};
  r.embedding = SearchResult::Embedding{.took_ms = 3.5, .model = "mobilenet"};
  return r;
}

TEST(SearchWireTest, SearchResultRoundTripsEveryField) {
  SearchResult r = FullResult();
  std::string bytes = EncodeSearchResult(r);
  auto back = DecodeSearchResult(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(EncodeSearchResult(*back), bytes);
  EXPECT_EQ(back->took_ms, 12);
  EXPECT_TRUE(back->timed_out);
  EXPECT_EQ(back->shards.failed, 1);
  EXPECT_EQ(back->shards.successful, 2);
  EXPECT_EQ(back->total.relation, TotalHits::Relation::kGreaterOrEqual);
  EXPECT_EQ(back->max_score, 0.875f);
  ASSERT_EQ(back->hits.size(), 2u);
  EXPECT_EQ(back->hits[0].sort, r.hits[0].sort);
  EXPECT_EQ(back->hits[0].source, r.hits[0].source);
  EXPECT_EQ(back->hits[0].fields, r.hits[0].fields);
  EXPECT_EQ(back->hits[0].seq_no, 44);
  ASSERT_EQ(back->hits[0].inner_hits.size(), 2u);
  const InnerHits& top = back->hits[0].inner_hits[0];
  EXPECT_EQ(top.name, "top");
  EXPECT_EQ(top.total, 7);
  EXPECT_EQ(top.max_score, 0.5f);
  ASSERT_EQ(top.hits.size(), 2u);
  EXPECT_EQ(top.hits[0].fields, r.hits[0].fields);
  EXPECT_EQ(top.hits[1].id, "9");
  EXPECT_EQ(top.hits[1].sort, r.hits[0].inner_hits[0].hits[1].sort);
  EXPECT_TRUE(std::isnan(back->hits[0].inner_hits[1].max_score));
  EXPECT_TRUE(back->hits[0].inner_hits[1].hits.empty());
  EXPECT_TRUE(std::isnan(back->hits[1].score));
  EXPECT_FALSE(back->hits[1].has_source);
  ASSERT_EQ(back->aggregations.size(), 2u);
  EXPECT_EQ(back->aggregations[0].term_counts, r.aggregations[0].term_counts);
  EXPECT_EQ(back->aggregations[0].number_counts, r.aggregations[0].number_counts);
  EXPECT_TRUE(back->aggregations[0].boolean_keys);
  EXPECT_EQ(back->aggregations[1].sum, 31.25);
  EXPECT_EQ(back->aggregations[1].count, 6);
  ASSERT_TRUE(back->embedding.has_value());
  EXPECT_EQ(back->embedding->model, "mobilenet");
}

TEST(SearchWireTest, CountResultAndStoredDocumentRoundTrip) {
  CountResult c{.count = 123, .shards = {.total = 2, .successful = 2}};
  auto count = DecodeCountResult(EncodeCountResult(c));
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->count, 123);
  EXPECT_EQ(count->shards.total, 2);

  StoredDocument d{.index = "photos~2~u", .id = "x", .found = true, .version = 4, .seq_no = 9,
                   .primary_term = 3, .source = std::string(R"({"k":"v"})")};
  auto doc = DecodeStoredDocument(EncodeStoredDocument(d));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->source, d.source);
  EXPECT_EQ(doc->seq_no, 9);
  EXPECT_TRUE(doc->found);
  StoredDocument missing{.index = "i", .id = "y"};
  auto none = DecodeStoredDocument(EncodeStoredDocument(missing));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->found || none->source.has_value());
}

TEST(SearchWireTest, ExampleVectorAndNeuralTargetMessagesRoundTrip) {
  auto request = DecodeVectorRequest(EncodeVectorRequest({.id = "p17", .path = "emb"}));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->id, "p17");
  EXPECT_EQ(request->path, "emb");
  ExampleVector found{.state = ExampleVector::State::kFound,
                      .values = {1.5f, -0.0f, 3e-38f},
                      .metric = Metric::kCosine};
  auto vector = DecodeExampleVector(EncodeExampleVector(found));
  ASSERT_TRUE(vector.ok());
  EXPECT_EQ(vector->state, ExampleVector::State::kFound);
  EXPECT_EQ(vector->metric, Metric::kCosine);
  ASSERT_EQ(vector->values.size(), 3u);
  EXPECT_TRUE(std::signbit(vector->values[1]));  // bit for bit
  EXPECT_EQ(vector->values[2], 3e-38f);
  auto missing =
      DecodeExampleVector(EncodeExampleVector({.state = ExampleVector::State::kNoVector}));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->state, ExampleVector::State::kNoVector);
  // Values beside a state that has none would not encode back to the same bytes.
  std::string forged = EncodeExampleVector(found);
  forged[kWireFrameSize] = 1;  // the state byte: kNoDocument
  EXPECT_EQ(DecodeExampleVector(forged).status().code(), StatusCode::kCorruption);

  auto target_request =
      DecodeNeuralTargetRequest(EncodeNeuralTargetRequest({.field = "", .model = "m"}));
  ASSERT_TRUE(target_request.ok());
  EXPECT_EQ(target_request->model, "m");
  auto target = DecodeNeuralTarget(
      EncodeNeuralTarget({.vector_field = "emb", .source_field = "x", .model = "m", .dims = 384}));
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->vector_field, "emb");
  EXPECT_EQ(target->source_field, "");  // queries have none: not sent
  EXPECT_EQ(target->dims, 384);
  EXPECT_EQ(DecodeNeuralTarget(EncodeVectorRequest({.id = "a", .path = "b"})).status().code(),
            StatusCode::kCorruption);  // another message's magic
}

TEST(SearchWireTest, ShardErrorsCarryCodeKindAndMessage) {
  Status s = Status::InvalidArgument("from + size too large").WithKind(ErrorKind::kInvalidValue);
  Status back = DecodeShardError(EncodeShardError(s));
  EXPECT_EQ(back.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(back.kind(), ErrorKind::kInvalidValue);
  EXPECT_EQ(back.message(), "from + size too large");
  EXPECT_EQ(DecodeShardError("garbage").code(), StatusCode::kCorruption);
}

TEST(SearchWireTest, EveryFlippedByteIsRefused) {
  std::string request = MustEncode(FullRequest());
  std::string result = EncodeSearchResult(FullResult());
  for (size_t i = 0; i < request.size(); ++i) {
    std::string bad = request;
    bad[i] ^= 0x20;
    EXPECT_FALSE(DecodeSearchRequest(bad).ok()) << "byte " << i;
  }
  for (size_t i = 0; i < result.size(); ++i) {
    std::string bad = result;
    bad[i] ^= 0x01;
    EXPECT_FALSE(DecodeSearchResult(bad).ok()) << "byte " << i;
  }
}

TEST(SearchWireTest, TruncationTrailingBytesAndWrongMagicAreCorruption) {
  std::string request = MustEncode(FullRequest());
  for (size_t n : {size_t{0}, size_t{3}, size_t{15}, request.size() - 1}) {
    EXPECT_EQ(DecodeSearchRequest(request.substr(0, n)).status().code(), StatusCode::kCorruption);
  }
  EXPECT_EQ(DecodeSearchRequest(request + "x").status().code(), StatusCode::kCorruption);
  // A result is not a request.
  EXPECT_EQ(DecodeSearchRequest(EncodeSearchResult(FullResult())).status().code(),
            StatusCode::kCorruption);
}

TEST(SearchWireTest, NewerVersionIsUnsupported) {
  std::string bytes = EncodeSearchResult(SearchResult{});
  bytes[4] = static_cast<char>(kSearchWireVersion + 1);
  EXPECT_EQ(DecodeSearchResult(bytes).status().code(), StatusCode::kUnsupported);
}

// Payloads with a valid frame but hostile content: the checksum does not protect against a
// forged message, so the decoder itself must refuse.
std::string Frame(const char (&magic)[5], const std::string& payload) {
  return FrameWireMessage(magic, payload);
}

TEST(SearchWireTest, ForgedPayloadsAreRefusedWithoutCrashOrHugeAllocation) {
  // A hit count of 4 billion with nothing behind it.
  std::string huge;
  WireWriter w(&huge);
  w.Put<int64_t>(0);
  w.Bool(false);
  for (int i = 0; i < 4; ++i) w.Put<int64_t>(0);
  w.Bool(true);
  w.Put<int64_t>(0);
  w.Put<uint8_t>(0);
  w.Put<float>(0);
  w.Put<uint32_t>(0xffffffffu);
  EXPECT_EQ(DecodeSearchResult(Frame(kSearchResultMagic, huge)).status().code(),
            StatusCode::kCorruption);

  // A query nested deeper than the limit: bool { must: [ bool { must: [ ... ] } ] }.
  std::string deep;
  WireWriter d(&deep);
  d.Bool(true);
  for (int i = 0; i < kMaxWireQueryDepth + 10; ++i) {
    d.Put<uint8_t>(7);  // bool
    d.Count(1);         // one must clause follows
  }
  EXPECT_EQ(DecodeCountRequest(Frame(kCountRequestMagic, deep)).status().code(),
            StatusCode::kCorruption);

  // A boolean byte of 2 and an unknown node tag.
  std::string bad_bool;
  WireWriter b(&bad_bool);
  b.Put<uint8_t>(2);
  EXPECT_FALSE(DecodeCountRequest(Frame(kCountRequestMagic, bad_bool)).ok());
  std::string bad_tag;
  WireWriter t(&bad_tag);
  t.Bool(true);
  t.Put<uint8_t>(9);  // neural never travels
  EXPECT_FALSE(DecodeCountRequest(Frame(kCountRequestMagic, bad_tag)).ok());
}

TEST(SearchWireTest, UnorderedAggregationKeysAreRefused) {
  SearchResult r;
  AggregationPartial terms{.name = "t"};
  terms.term_counts = {{"a", 1}, {"b", 2}};
  r.aggregations = {terms};
  std::string bytes = EncodeSearchResult(r);
  // Swap the two keys "a" and "b" (same lengths) and reseal the frame.
  size_t a = bytes.find('a', kWireFrameSize + 40);
  size_t b = bytes.find('b', a + 1);
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  std::swap(bytes[a], bytes[b]);
  std::string payload = bytes.substr(kWireFrameSize);
  EXPECT_EQ(DecodeSearchResult(Frame(kSearchResultMagic, payload)).status().code(),
            StatusCode::kCorruption);
}

}  // namespace
}  // namespace lookalike::cluster
