// The coordinator (cluster/scatter.h) over shard copies that are indices of one local engine:
// merged answers equal the one-index answer, failures become _shards.failures (or an error),
// GET routes to the document's shard. The copies' HTTP path is covered by
// tests/integration/cluster/test_scatter.py; here an unreachable copy and one that accepts the
// request but never answers (a listening socket nobody serves) exercise the fallback.
#include "cluster/scatter.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <string>

#include "../engine/engine_test_util.h"
#include "cluster/routing.h"
#include "cluster/static_shard_map.h"
#include "server/es/index_codec.h"

namespace lookalike::cluster {
namespace {

using lookalike::testing::Bulk;
using lookalike::testing::OpenEngine;
using lookalike::testing::SearchTyped;
using lookalike::testing::TempDir;

constexpr int kShards = 3;
constexpr int kDocs = 90;

const char* kMapping = R"({"mappings":{"properties":{
  "v":{"type":"knn_vector","dimension":2,"method":{"name":"flat","space_type":"l2"}},
  "cat":{"type":"keyword"},"n":{"type":"integer"}}}})";

class ScatterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine(dir_.path());
    std::string all, parts[kShards];
    for (int i = 0; i < kDocs; ++i) {
      std::string id = "d" + std::to_string(i);
      std::string doc = R"({"v":[)" + std::to_string(std::cos(i * 0.7)) + "," +
                        std::to_string(std::sin(i * 1.3)) + R"(],"cat":"c)" +
                        std::to_string(i % 4) + R"(","n":)" + std::to_string(i) + "}";
      std::string line = R"({"index":{"_id":")" + id + "\"}}\n" + doc + "\n";
      all += line;
      parts[ShardForRouting(id, kShards)] += line;
    }
    Create("docs", all);
    for (int s = 0; s < kShards; ++s) Create("docs~" + std::to_string(s) + "~u", parts[s]);
  }

  void Create(const std::string& name, const std::string& ndjson) {
    auto definition = es::ParseCreateIndexBody(kMapping);
    ASSERT_TRUE(definition.ok()) << definition.status().ToString();
    ASSERT_TRUE(engine_->CreateIndex(name, *definition).ok());
    ASSERT_TRUE(Bulk(*engine_, name, ndjson, RefreshPolicy::kTrue).ok());
  }

  // Every shard on this node, behind an unreachable first copy on some of them.
  std::unique_ptr<StaticShardMap> Map(bool drop_last_shard = false) {
    IndexRoutes routes;
    routes.index = "docs";
    routes.uuid = "u";
    routes.number_of_shards = kShards;
    for (int s = 0; s < kShards; ++s) {
      ShardRoute route;
      route.shard = s;
      if (!(drop_last_shard && s == kShards - 1)) {
        route.copies.push_back({"gone", "127.0.0.1:1", false});  // connection refused
        route.copies.push_back({"me", "127.0.0.1:1", true});     // local: never dialled
      }
      routes.shards.push_back(route);
    }
    return std::make_unique<StaticShardMap>(std::vector<IndexRoutes>{routes});
  }

  // Every shard behind a copy that takes requests and never answers, then (unless
  // `only_hung_last_shard`) the local copy.
  std::unique_ptr<StaticShardMap> HungMap(const std::string& hung, bool only_hung_last_shard) {
    IndexRoutes routes;
    routes.index = "docs";
    routes.uuid = "u";
    routes.number_of_shards = kShards;
    for (int s = 0; s < kShards; ++s) {
      ShardRoute route;
      route.shard = s;
      route.copies.push_back({"hung", hung, false});
      if (!(only_hung_last_shard && s == kShards - 1)) route.copies.push_back({"me", hung, true});
      routes.shards.push_back(route);
    }
    return std::make_unique<StaticShardMap>(std::vector<IndexRoutes>{routes});
  }

  std::unique_ptr<Coordinator> CoordinatorFor(const ShardMapSource* map,
                                              std::chrono::milliseconds timeout =
                                                  std::chrono::milliseconds(2000)) {
    ScatterOptions options;
    options.local_node = "me";
    options.local_engine = engine_.get();
    options.shard_timeout = timeout;
    return std::make_unique<Coordinator>(map, options);
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
};

SearchRequest Parse(std::string_view body) {
  auto request = es::ParseSearchRequest(body, {});
  EXPECT_TRUE(request.ok()) << request.status().ToString();
  return request.ok() ? *request : SearchRequest{};
}

void ExpectSameHits(const SearchResult& got, const SearchResult& want) {
  ASSERT_EQ(got.hits.size(), want.hits.size());
  for (size_t i = 0; i < got.hits.size(); ++i) {
    EXPECT_EQ(got.hits[i].id, want.hits[i].id) << i;
    EXPECT_EQ(got.hits[i].index, "docs");
    EXPECT_EQ(got.hits[i].sort, want.hits[i].sort);
    EXPECT_EQ(got.hits[i].source, want.hits[i].source);
    if (want.hits[i].scored()) EXPECT_EQ(got.hits[i].score, want.hits[i].score);
  }
}

TEST_F(ScatterTest, MergedAnswersEqualOneIndexHoldingEveryDocument) {
  auto map = Map();
  auto coordinator = CoordinatorFor(map.get());
  for (std::string_view body : {
           R"({"size":7,"query":{"knn":{"v":{"vector":[0.3,-0.2],"k":7}}}})",
           R"({"size":5,"query":{"knn":{"v":{"vector":[0.1,0.9],"k":5,
               "filter":{"term":{"cat":"c2"}}}}}})",
           R"({"from":4,"size":6,"sort":[{"n":"desc"}],"query":{"terms":{"cat":["c1","c3"]}}})",
           R"({"size":5,"sort":[{"n":"asc"}],"search_after":[40]})",
           R"({"size":0,"track_total_hits":true,"aggs":{"t":{"terms":{"field":"cat","size":2}},
               "a":{"avg":{"field":"n"}}}})",
           // Retrievers: each leaf is a scatter-gather, the fusion runs once on the coordinator.
           R"({"size":6,"retriever":{"rrf":{"rank_window_size":12,"retrievers":[
               {"knn":{"field":"v","query_vector":[0.3,-0.2],"k":12}},
               {"standard":{"query":{"terms":{"cat":["c1"]}},"sort":[{"n":"desc"}]}}]}}})",
           // Aggregations beside a compound retriever / hybrid: the union of the leaves'
           // matches, the shards' partials merged as for a plain search.
           R"({"size":3,"retriever":{"rrf":{"retrievers":[
               {"standard":{"query":{"terms":{"cat":["c1"]}},"sort":[{"n":"desc"}]}},
               {"standard":{"query":{"range":{"n":{"lt":10}}},"sort":[{"n":"asc"}]}}]}},
               "aggs":{"t":{"terms":{"field":"cat"}},"a":{"avg":{"field":"n"}}}})",
           R"({"size":0,"query":{"hybrid":{"queries":[{"terms":{"cat":["c2"]}},
               {"range":{"n":{"gte":50}}}]}},"aggs":{"t":{"terms":{"field":"cat"}}}})",
           R"({"size":5,"retriever":{"diversify":{"type":"mmr","field":"v","lambda":0.4,
               "size":5,"rank_window_size":15,
               "retriever":{"knn":{"field":"v","query_vector":[0.1,0.9],"k":15}}}}})"}) {
    SCOPED_TRACE(body);
    SearchRequest request = Parse(body);
    auto got = coordinator->Search("docs", request, {});
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    auto want = SearchTyped(*engine_, "docs", body);
    ASSERT_TRUE(want.ok());
    ExpectSameHits(*got, *want);
    EXPECT_EQ(got->shards.total, kShards);
    EXPECT_EQ(got->shards.failed, 0);
    if (!request.knn.empty() || (request.query && request.query->HasKnn())) continue;
    EXPECT_EQ(got->total.value, want->total.value);
    ASSERT_EQ(got->aggregations.size(), want->aggregations.size());
    for (size_t i = 0; i < got->aggregations.size(); ++i) {
      EXPECT_EQ(got->aggregations[i].term_counts, want->aggregations[i].term_counts);
      EXPECT_EQ(got->aggregations[i].sum, want->aggregations[i].sum);
      EXPECT_EQ(got->aggregations[i].count, want->aggregations[i].count);
    }
  }
  auto count = coordinator->Count("docs", CountRequest{}, {});
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->count, kDocs);
  EXPECT_EQ(count->shards.total, kShards);
}

TEST_F(ScatterTest, AShardWithoutCopiesIsAFailureOrAnErrorWhenPartialResultsAreRefused) {
  auto map = Map(/*drop_last_shard=*/true);
  auto coordinator = CoordinatorFor(map.get());
  SearchRequest request = Parse(R"({"size":100})");
  std::vector<ShardFailure> failures;
  auto partial = coordinator->Search("docs", request, {}, &failures);
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  EXPECT_EQ(partial->shards.total, kShards);
  EXPECT_EQ(partial->shards.successful, kShards - 1);
  EXPECT_EQ(partial->shards.failed, 1);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].shard, kShards - 1);
  EXPECT_EQ(failures[0].index, "docs");
  EXPECT_EQ(failures[0].code, StatusCode::kUnavailable);
  for (const DocumentHit& hit : partial->hits) {
    EXPECT_NE(ShardForRouting(hit.id, kShards), kShards - 1) << hit.id;
  }
  ScatterCall strict;
  strict.allow_partial_results = false;
  std::vector<ShardFailure> refused_failures;
  auto refused = coordinator->Search("docs", request, strict, &refused_failures);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(refused.status().kind(), ErrorKind::kShardsFailed);
  EXPECT_EQ(refused.status().message(), "Partial shards failure");
  ASSERT_EQ(refused_failures.size(), 1u);  // the error's failed_shards
  EXPECT_EQ(refused_failures[0].shard, kShards - 1);
  auto strict_count = coordinator->Count("docs", CountRequest{}, strict);
  EXPECT_EQ(strict_count.status().kind(), ErrorKind::kShardsFailed);
  auto count = coordinator->Count("docs", CountRequest{}, {});
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->shards.failed, 1);
}

// A socket that completes TCP handshakes (the kernel's backlog) but never reads or answers.
class HungListener {
 public:
  HungListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 64), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    address_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  }
  ~HungListener() { close(fd_); }
  const std::string& address() const { return address_; }

 private:
  int fd_ = -1;
  std::string address_;
};

TEST_F(ScatterTest, ACopyThatNeverAnswersTimesOutAndTheNextCopyAnswers) {
  HungListener hung;
  auto map = HungMap(hung.address(), /*only_hung_last_shard=*/false);
  auto coordinator = CoordinatorFor(map.get(), std::chrono::milliseconds(300));
  std::string_view body = R"({"size":9,"query":{"knn":{"v":{"vector":[0.5,0.5],"k":9}}}})";
  auto want = SearchTyped(*engine_, "docs", body);
  ASSERT_TRUE(want.ok());
  // Round-robin: over a few searches every shard starts at the hung copy at least once.
  for (int i = 0; i < 3; ++i) {
    auto got = coordinator->Search("docs", Parse(body), {});
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ExpectSameHits(*got, *want);
    EXPECT_EQ(got->shards.failed, 0);
  }
}

TEST_F(ScatterTest, AShardWhoseOnlyCopyNeverAnswersFailsAndTheOthersAnswer) {
  HungListener hung;
  auto map = HungMap(hung.address(), /*only_hung_last_shard=*/true);
  auto coordinator = CoordinatorFor(map.get(), std::chrono::milliseconds(300));
  std::vector<ShardFailure> failures;
  auto got = coordinator->Search("docs", Parse(R"({"size":100})"), {}, &failures);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->shards.failed, 1);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].shard, kShards - 1);
  EXPECT_EQ(failures[0].node, "hung");
  EXPECT_NE(failures[0].reason.find("timed out"), std::string::npos) << failures[0].reason;
  size_t expected = 0;
  for (int i = 0; i < kDocs; ++i) {
    expected += ShardForRouting("d" + std::to_string(i), kShards) != kShards - 1;
  }
  EXPECT_EQ(got->hits.size(), expected);
}

TEST_F(ScatterTest, RequestErrorsFailTheWholeSearch) {
  auto map = Map();
  auto coordinator = CoordinatorFor(map.get());
  SearchRequest too_deep = Parse(R"({"from":9999,"size":10})");  // beyond max_result_window
  auto result = coordinator->Search("docs", too_deep, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  SearchRequest neural;
  neural.query = QueryNode{NeuralNode{.field = "v", .image = {}, .text = "x", .model = {}}};
  EXPECT_EQ(coordinator->Search("docs", neural, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(coordinator->Search("nope", SearchRequest{}, {}).status().kind(),
            ErrorKind::kIndexNotFound);
}

TEST_F(ScatterTest, GetAsksTheShardTheIdRoutesTo) {
  auto map = Map();
  auto coordinator = CoordinatorFor(map.get());
  for (int i : {0, 1, 2, 17, 55}) {
    std::string id = "d" + std::to_string(i);
    auto doc = coordinator->Get("docs", id, nullptr, {}, {});
    ASSERT_TRUE(doc.ok()) << doc.status().ToString();
    EXPECT_TRUE(doc->found) << id;
    EXPECT_EQ(doc->index, "docs");
    ASSERT_TRUE(doc->source.has_value());
    EXPECT_NE(doc->source->find("\"n\":" + std::to_string(i)), std::string::npos);
  }
  auto missing = coordinator->Get("docs", "nope", nullptr, {}, {});
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->found);
  // An explicit routing value picks the shard: the document is not on the shard of "x0".
  std::string routing = "x0";
  std::string id;
  for (int i = 0; i < kDocs && id.empty(); ++i) {
    std::string candidate = "d" + std::to_string(i);
    if (ShardForRouting(candidate, kShards) != ShardForRouting(routing, kShards)) id = candidate;
  }
  auto routed = coordinator->Get("docs", id, &routing, {}, {});
  ASSERT_TRUE(routed.ok());
  EXPECT_FALSE(routed->found);
}

TEST(StaticShardMapTest, ParsesAndResolvesNamesListsAndPatterns) {
  auto map = StaticShardMap::FromJson(R"({"indices":[
    {"index":"b","uuid":"u2","number_of_shards":1,"shards":[{"shard":0,"copies":[]}]},
    {"index":"a","uuid":"u1","number_of_shards":2,"number_of_replicas":1,"shards":[
      {"shard":0,"primary_term":3,"copies":[{"node":"n1","http":"h:1","primary":true},
                                            {"node":"n2","http":"h:2"}]},
      {"shard":1,"copies":[{"node":"n2","http":"h:2"}]}]}]})");
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  auto all = (*map)->Resolve("_all");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].index, "a");
  EXPECT_EQ((*all)[0].shards[0].primary_term, 3);
  EXPECT_TRUE((*all)[0].shards[0].copies[0].primary);
  EXPECT_EQ((*all)[0].shards[1].copies[0].http, "h:2");
  EXPECT_EQ((*map)->Resolve("b")->size(), 1u);
  EXPECT_EQ((*map)->Resolve("a,b")->size(), 2u);
  EXPECT_EQ((*map)->Resolve("x*")->size(), 0u);
  EXPECT_EQ((*map)->Resolve("c").status().kind(), ErrorKind::kIndexNotFound);
  EXPECT_FALSE(StaticShardMap::FromJson(R"({"indices":[{"index":"a","uuid":"u",
      "number_of_shards":2,"shards":[{"shard":0,"copies":[]}]}]})").ok());
}

}  // namespace
}  // namespace lookalike::cluster
