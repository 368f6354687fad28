// PUT /{index}/_settings: dynamic settings take effect, static and unknown ones are refused
// with nothing changed, null resets, updates of several indices are all or nothing and
// survive a restart. The engine's side of the slow log (thresholds, slow writes).
#include <cmath>
#include <random>
#include <set>

#include "common/json_elide.h"
#include "engine_test_util.h"
#include "server/handlers/slowlog.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

Status Update(Engine& engine, std::string_view index, std::string_view body) {
  return es::UpdateSettingsJson(engine, index, body).status();
}

std::string Settings(Engine& engine, std::string_view index) {
  auto got = es::GetSettingsJson(engine, index);
  EXPECT_TRUE(got.ok()) << got.status().ToString();
  return got.ok() ? *got : "";
}

Status SearchSize(Engine& engine, std::string_view index, int size) {
  return SearchTyped(engine, index, "{\"size\":" + std::to_string(size) + "}").status();
}

TEST(Settings, DynamicSettingsTakeEffectInEveryBodyShape) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "s", "").ok());
  ASSERT_TRUE(SearchSize(*engine, "s", 10).ok());

  ASSERT_TRUE(Update(*engine, "s", R"({"index":{"max_result_window":5}})").ok());
  Status window = SearchSize(*engine, "s", 10);
  EXPECT_EQ(window.type(), "illegal_argument_exception") << window.ToString();
  EXPECT_NE(window.message().find("[5]"), std::string::npos) << window.message();
  EXPECT_EQ(Json(Settings(*engine, "s")).Str("/s/settings/index/max_result_window"), "5");

  EXPECT_EQ(engine->ListIndices()[0].health, "yellow");  // one replica that cannot exist
  ASSERT_TRUE(Update(*engine, "s", R"({"index.number_of_replicas":0})").ok());
  EXPECT_EQ(engine->ListIndices()[0].health, "green");

  // Clients clear Elasticsearch's flood-stage block this way; here it is a no-op.
  ASSERT_TRUE(Update(*engine, "s", R"({"index.blocks.read_only_allow_delete":null})").ok());
  ASSERT_TRUE(Update(*engine, "s", R"({"index":{"blocks":{"read_only_allow_delete":false}}})")
                  .ok());
  EXPECT_EQ(Update(*engine, "s", R"({"index.blocks.read_only_allow_delete":true})").type(),
            "illegal_argument_exception");
  ASSERT_TRUE(Update(*engine, "s", R"({"refresh_interval":"30s"})").ok());
  EXPECT_EQ(Json(Settings(*engine, "s")).Str("/s/settings/index/refresh_interval"), "30s");
  ASSERT_TRUE(Update(*engine, "s", R"({"settings":{"index.mapping.total_fields.limit":1}})").ok());
  Status limited =
      engine->IndexDocument("s", "1", R"({"a":1,"b":2})", OpType::kIndex, RefreshPolicy::kFalse)
          .status();
  EXPECT_FALSE(limited.ok());
  EXPECT_NE(limited.message().find("Limit of total fields [1]"), std::string::npos)
      << limited.ToString();

  // null: back to the default
  ASSERT_TRUE(Update(*engine, "s", R"({"index":{"max_result_window":null,
      "mapping.total_fields.limit":null}})")
                  .ok());
  EXPECT_TRUE(SearchSize(*engine, "s", 10).ok());
  EXPECT_FALSE(Json(Settings(*engine, "s")).Has("/s/settings/index/max_result_window"));

  auto flat = es::GetSettingsJson(*engine, "s", /*flat_keys=*/true, /*include_defaults=*/true);
  ASSERT_TRUE(flat.ok());
  Json f(*flat);
  EXPECT_EQ(f.Str("/s/settings/index.refresh_interval"), "30s");
  EXPECT_EQ(f.Str("/s/defaults/index.max_result_window"), "10000");
  EXPECT_EQ(f.Str("/s/defaults/index.search.slowlog.threshold.query.warn"), "-1");
}

TEST(Settings, StaticUnknownAndManagedSettingsAreRefusedAndNothingChanges) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "s", R"({"settings":{"index.knn":true}})").ok());
  std::string before = Settings(*engine, "s");
  std::string uuid = Json(before).Str("/s/settings/index/uuid");

  Status shards = Update(*engine, "s", R"({"index":{"number_of_shards":2,"max_result_window":5}})");
  EXPECT_EQ(shards.type(), "illegal_argument_exception");
  EXPECT_EQ(shards.message(),
            "Can't update non dynamic settings [[index.number_of_shards]] for "
            "open indices [[s/" +
                uuid + "]]");
  Status knn = Update(*engine, "s", R"({"index.knn":false,"index.knn.space_type":"l2"})");
  EXPECT_EQ(knn.message(),
            "Can't update non dynamic settings [[index.knn, index.knn.space_type]] "
            "for open indices [[s/" +
                uuid + "]]");
  Status unknown = Update(*engine, "s", R"({"index":{"foo":1}})");
  EXPECT_EQ(unknown.type(), "illegal_argument_exception");
  EXPECT_EQ(unknown.message().rfind("unknown setting [index.foo] please check that any required "
                                    "plugins are installed",
                                    0),
            0u)
      << unknown.message();
  Status managed = Update(*engine, "s", R"({"index.uuid":"x"})");
  EXPECT_EQ(managed.type(), "illegal_argument_exception");
  EXPECT_NE(managed.message().find("private setting [index.uuid]"), std::string::npos);
  Status reset_static = Update(*engine, "s", R"({"index.number_of_shards":null})");
  EXPECT_EQ(reset_static.type(), "illegal_argument_exception");
  EXPECT_EQ(Settings(*engine, "s"), before);
  EXPECT_TRUE(SearchSize(*engine, "s", 10).ok());  // max_result_window 5 was not applied
}

TEST(Settings, MalformedBodiesAndValuesAreRefusedClearly) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "s", "").ok());
  std::string before = Settings(*engine, "s");
  struct Case {
    const char* body;
    const char* type;
    const char* message;  // expected substring
  };
  const Case cases[] = {
      {"[]", "parsing_exception", "must be a JSON object"},
      {"\"x\"", "parsing_exception", "must be a JSON object"},
      {"{", "parsing_exception", ""},
      {"", "action_request_validation_exception", "no settings to update"},
      {"{}", "action_request_validation_exception", "no settings to update"},
      {R"({"settings":5})", "parsing_exception", "[settings] must be an object"},
      {R"({"index":{"max_result_window":[1,[2]]}})", "illegal_argument_exception",
       "Failed to parse value [[1,[2]]] for setting [index.max_result_window]"},
      {R"({"index.max_result_window":1e400})", "parsing_exception", ""},
      {R"({"index.max_result_window":99999999999999999999})", "parsing_exception", ""},
      {R"({"index.max_result_window":"99999999999999999999"})", "illegal_argument_exception",
       "Failed to parse value [99999999999999999999]"},
      {R"({"index.max_result_window":0})", "illegal_argument_exception", "must be >= 1"},
      {R"({"index.knn.algo_param.ef_search":"many"})", "illegal_argument_exception",
       "[index.knn.algo_param.ef_search]"},
      {R"({"index.search.slowlog.threshold.query.warn":"5 parsecs"})", "illegal_argument_exception",
       "failed to parse setting [index.search.slowlog.threshold.query.warn] with value "
       "[5 parsecs] as a time value: unit is missing or unrecognized"},
      {R"({"index.indexing.slowlog.threshold.index.info":"-5ms"})", "illegal_argument_exception",
       "as a time value"},
      {R"({"index.search.slowlog.threshold.query.info":"99999999999d"})",
       "illegal_argument_exception", "as a time value"},
      {R"({"index.refresh_interval":"soon"})", "illegal_argument_exception", "as a time value"},
      {R"({"index.indexing.slowlog.source":"some"})", "illegal_argument_exception",
       "[index.indexing.slowlog.source]"},
  };
  for (const Case& c : cases) {
    Status s = Update(*engine, "s", c.body);
    EXPECT_EQ(s.type(), c.type) << c.body << ": " << s.ToString();
    EXPECT_NE(s.message().find(c.message), std::string::npos) << c.body << ": " << s.message();
  }
  EXPECT_EQ(Settings(*engine, "s"), before);
  EXPECT_EQ(Update(*engine, "missing", R"({"index.max_result_window":5})").type(),
            "index_not_found_exception");
}

TEST(Settings, AnUpdateOfSeveralIndicesIsAllOrNothing) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "a", "").ok());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "b", R"({"mappings":{"properties":{"x":{"type":"keyword"},
      "y":{"type":"keyword"},"z":{"type":"keyword"}}}})")
                  .ok());
  std::string a_before = Settings(*engine, "a");
  // Valid for a (no fields), not for b (three fields): neither changes.
  Status s = Update(*engine, "a,b", R"({"index.mapping.total_fields.limit":2,
                                        "index.max_result_window":5})");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(Settings(*engine, "a"), a_before);
  EXPECT_TRUE(SearchSize(*engine, "a", 10).ok());
  // An unknown name fails the whole request too.
  EXPECT_EQ(Update(*engine, "a,nope", R"({"index.max_result_window":5})").type(),
            "index_not_found_exception");
  EXPECT_EQ(Settings(*engine, "a"), a_before);

  for (const char* all : {"_all", "", "*", "a*,b"}) {
    ASSERT_TRUE(Update(*engine, all, R"({"index.max_result_window":7})").ok()) << all;
    EXPECT_FALSE(SearchSize(*engine, "a", 10).ok()) << all;
    EXPECT_FALSE(SearchSize(*engine, "b", 10).ok()) << all;
    ASSERT_TRUE(Update(*engine, all, R"({"index.max_result_window":null})").ok()) << all;
  }
}

TEST(Settings, UpdatesSurviveARestart) {
  TempDir dir;
  {
    auto engine = OpenEngine(dir.path());
    ASSERT_TRUE(es::CreateIndexJson(*engine, "s", "").ok());
    ASSERT_TRUE(Update(*engine, "s", R"({"index":{"max_result_window":5,
        "search.slowlog.threshold.query.info":"250ms","indexing.slowlog.source":false}})")
                    .ok());
    engine->Shutdown();
  }
  auto engine = OpenEngine(dir.path());
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(SearchSize(*engine, "s", 10).type(), "illegal_argument_exception");
  EXPECT_EQ(Json(Settings(*engine, "s")).Str("/s/settings/index/max_result_window"), "5");
  auto slow = engine->SlowLogSettings("s");
  ASSERT_EQ(slow.size(), 1u);
  EXPECT_EQ(slow[0].search.nanos[static_cast<int>(SlowLogLevel::kInfo)], 250'000'000);
  EXPECT_EQ(slow[0].indexing_source_chars, 0);
  EXPECT_EQ(engine->SearchSlowLogFloorNanos(), 250'000'000);
  // The updated index can be updated again after the restart.
  ASSERT_TRUE(Update(*engine, "s", R"({"index.max_result_window":null})").ok());
  EXPECT_TRUE(SearchSize(*engine, "s", 10).ok());
}

// Recall@k of knn searches over `vecs` against exact L2 neighbours.
double Recall(Engine& engine, const std::vector<std::vector<float>>& vecs, int queries, int k) {
  std::mt19937 rng(11);
  std::normal_distribution<float> g;
  int found = 0;
  for (int q = 0; q < queries; ++q) {
    std::vector<float> query(vecs[0].size());
    for (auto& x : query) x = g(rng);
    std::vector<std::pair<float, int>> exact;
    for (size_t i = 0; i < vecs.size(); ++i) {
      float d = 0;
      for (size_t j = 0; j < query.size(); ++j)
        d += (vecs[i][j] - query[j]) * (vecs[i][j] - query[j]);
      exact.emplace_back(d, static_cast<int>(i));
    }
    std::partial_sort(exact.begin(), exact.begin() + k, exact.end());
    std::set<std::string> truth;
    for (int i = 0; i < k; ++i) truth.insert(std::to_string(exact[i].second));
    std::string body = "{\"size\":" + std::to_string(k) +
                       ",\"_source\":false,\"query\":{\"knn\":"
                       "{\"v\":{\"k\":" +
                       std::to_string(k) + ",\"vector\":[";
    for (size_t j = 0; j < query.size(); ++j) body += (j ? "," : "") + std::to_string(query[j]);
    body += "]}}}}";
    auto result = SearchTyped(engine, "k", body);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok()) return 0;
    for (const auto& hit : result->hits) found += truth.count(hit.id) ? 1 : 0;
  }
  return static_cast<double>(found) / (queries * k);
}

TEST(Settings, EfSearchChangesTheBeamTheKnnQueryUses) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "k", R"({"settings":{"index.knn":true},"mappings":{"properties":{
      "v":{"type":"knn_vector","dimension":32,"method":{"name":"hnsw","space_type":"l2",
      "parameters":{"m":4,"ef_construction":16}}}}}})")
                  .ok());
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  std::vector<std::vector<float>> vecs;
  std::string bulk;
  for (int i = 0; i < 3000; ++i) {
    std::vector<float> v(32);
    for (auto& x : v) x = g(rng);
    bulk += "{\"index\":{\"_id\":\"" + std::to_string(i) + "\"}}\n{\"v\":[";
    for (size_t j = 0; j < v.size(); ++j) bulk += (j ? "," : "") + std::to_string(v[j]);
    bulk += "]}\n";
    vecs.push_back(std::move(v));
  }
  ASSERT_TRUE(Bulk(*engine, "k", bulk, RefreshPolicy::kTrue).ok());
  ASSERT_TRUE(Update(*engine, "k", R"({"index.knn.algo_param.ef_search":10})").ok());
  double narrow = Recall(*engine, vecs, 30, 10);
  ASSERT_TRUE(Update(*engine, "k", R"({"index.knn.algo_param.ef_search":3000})").ok());
  double wide = Recall(*engine, vecs, 30, 10);
  EXPECT_GE(wide, 0.95);
  EXPECT_LT(narrow + 0.05, wide) << narrow;  // a sparse graph (m=4) and a beam of 10 miss many
}

TEST(SlowLog, SlowWritesAreKeptWithTheirIdAndElidedSource) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "w", "").ok());
  ASSERT_TRUE(
      engine->IndexDocument("w", "1", R"({"v":[1,2,3,4,5]})", OpType::kIndex, RefreshPolicy::kFalse)
          .ok());
  EXPECT_TRUE(engine->slow_log()->Entries().empty());  // default: off

  ASSERT_TRUE(Update(*engine, "w", R"({"index.indexing.slowlog.threshold.index.debug":"0ms",
                                      "index.indexing.slowlog.threshold.index.warn":"1h"})")
                  .ok());
  ASSERT_TRUE(engine
                  ->IndexDocument("w", "2", R"({"name":"two","v":[1,2,3,4,5]})", OpType::kIndex,
                                  RefreshPolicy::kFalse)
                  .ok());
  auto entries = engine->slow_log()->Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].type, "index");
  EXPECT_EQ(entries[0].index, "w");
  EXPECT_EQ(entries[0].id, "2");
  EXPECT_EQ(entries[0].level, SlowLogLevel::kDebug);
  EXPECT_EQ(entries[0].source,
            "{\"name\":\"two\",\"v\":[\u2026"
            "5 floats\u2026]}");

  // A bulk logs each written item; index.indexing.slowlog.source caps the source.
  ASSERT_TRUE(Update(*engine, "w", R"({"index.indexing.slowlog.source":4})").ok());
  ASSERT_TRUE(Bulk(*engine, "w",
                   "{\"index\":{\"_id\":\"3\"}}\n{\"name\":\"three\"}\n"
                   "{\"index\":{}}\n{\"name\":\"four\"}\n",
                   RefreshPolicy::kFalse)
                  .ok());
  entries = engine->slow_log()->Entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[1].id, "3");
  EXPECT_EQ(entries[1].source, "{\"na\u2026");
  EXPECT_EQ(entries[2].id.size(), 20u);  // the generated id

  ASSERT_TRUE(
      Update(*engine, "w", R"({"index.indexing.slowlog.threshold.index.debug":"-1"})").ok());
  ASSERT_TRUE(engine->IndexDocument("w", "5", "{}", OpType::kIndex, RefreshPolicy::kFalse).ok());
  EXPECT_EQ(engine->slow_log()->Entries().size(), 3u);
}

TEST(SlowLog, SearchThresholdsThroughTheServerHook) {
  TempDir dir;
  auto engine = OpenEngine(dir.path());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "q", R"({"settings":{"index.knn":true},"mappings":{"properties":{
      "v":{"type":"knn_vector","dimension":4}}}})")
                  .ok());
  ASSERT_TRUE(es::CreateIndexJson(*engine, "other", R"({"mappings":{"properties":{
      "v":{"type":"knn_vector","dimension":4}}}})")
                  .ok());
  ASSERT_TRUE(
      engine->IndexDocument("q", "1", R"({"v":[1,2,3,4]})", OpType::kIndex, RefreshPolicy::kTrue)
          .ok());
  const std::string body = R"({"query":{"knn":{"v":{"vector":[1,2,3,4.5],"k":1}}}})";
  auto search = [&](std::string_view index) {
    auto started = std::chrono::steady_clock::now();
    auto result = SearchTyped(*engine, index, body);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    server::MaybeLogSlowSearch(*engine, index, body, started, result);
  };
  EXPECT_EQ(engine->SearchSlowLogFloorNanos(), -1);
  search("q");
  EXPECT_TRUE(engine->slow_log()->Entries().empty());

  ASSERT_TRUE(Update(*engine, "q", R"({"index.search.slowlog.threshold.query.warn":"0ms"})").ok());
  EXPECT_EQ(engine->SearchSlowLogFloorNanos(), 0);
  search("q,other");  // only q logs
  auto entries = engine->slow_log()->Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].index, "q");
  EXPECT_EQ(entries[0].kind, "knn");
  EXPECT_EQ(entries[0].total_hits, 1);
  EXPECT_EQ(entries[0].level, SlowLogLevel::kWarn);
  EXPECT_NE(entries[0].source.find("\"vector\":[\u2026"
                                   "4 floats\u2026]"),
            std::string::npos)
      << entries[0].source;

  ASSERT_TRUE(Update(*engine, "q", R"({"index.search.slowlog.threshold.query.warn":"-1"})").ok());
  EXPECT_EQ(engine->SearchSlowLogFloorNanos(), -1);
  search("q");
  EXPECT_EQ(engine->slow_log()->Entries().size(), 1u);
  ASSERT_TRUE(Update(*engine, "q", R"({"index.search.slowlog.threshold.query.trace":"0"})").ok());
  ASSERT_TRUE(es::DeleteIndexJson(*engine, "q").ok());
  EXPECT_EQ(engine->SearchSlowLogFloorNanos(), -1);
}

TEST(SlowLog, TheRingKeepsTheNewestEntries) {
  SlowLog log(3);
  for (int i = 0; i < 5; ++i) {
    SlowLogEntry e;
    e.type = "index";
    e.id = std::to_string(i);
    log.Record(std::move(e));
  }
  auto entries = log.Entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries.front().id, "2");
  EXPECT_EQ(entries.back().id, "4");
}

TEST(SlowLog, ThresholdLevels) {
  SlowLogThresholds t;
  EXPECT_FALSE(t.LevelFor(1'000'000'000).has_value());
  EXPECT_EQ(t.Floor(), -1);
  t.nanos[static_cast<int>(SlowLogLevel::kWarn)] = 100;
  t.nanos[static_cast<int>(SlowLogLevel::kTrace)] = 10;
  EXPECT_EQ(t.Floor(), 10);
  EXPECT_FALSE(t.LevelFor(9).has_value());
  EXPECT_EQ(t.LevelFor(10), SlowLogLevel::kTrace);
  EXPECT_EQ(t.LevelFor(100), SlowLogLevel::kWarn);
}

TEST(ElideNumberArrays, VectorsAnywhereBecomeCounts) {
  EXPECT_EQ(ElideNumberArrays(R"({"a": [1, 2.5, -3e2, 4]})", 1000),
            "{\"a\":[\u2026"
            "4 floats\u2026]}");
  // Nested: an array of vectors keeps its shape, each vector is elided.
  EXPECT_EQ(ElideNumberArrays(R"({"v":[[1,2,3,4],[5,6,7,8]],"q":{"x":{"y":[9,9,9,9,9]}}})", 1000),
            "{\"v\":[[\u2026"
            "4 floats\u2026],[\u2026"
            "4 floats\u2026]],"
            "\"q\":{\"x\":{\"y\":[\u2026"
            "5 floats\u2026]}}}");
  // Mixed arrays, short arrays, empty arrays and numbers inside strings are kept.
  EXPECT_EQ(ElideNumberArrays(R"({"m":[1,2,3,"x",4],"s":[1,2],"e":[],"t":"[1,2,3,4]"})", 1000),
            R"({"m":[1,2,3,"x",4],"s":[1,2],"e":[],"t":"[1,2,3,4]"})");
  EXPECT_EQ(ElideNumberArrays("[[1,2,3,4], true, [1,2,3,4]]", 1000),
            "[[\u2026"
            "4 floats\u2026],true,[\u2026"
            "4 floats\u2026]]");
  // One line: newlines outside strings go, control characters inside strings become spaces.
  EXPECT_EQ(ElideNumberArrays("{\n\"a\":\t\"x\ny\"}", 1000), "{\"a\":\"x y\"}");
  EXPECT_EQ(ElideNumberArrays(R"({"a":"q\"[1,2,3,4]"})", 1000), R"({"a":"q\"[1,2,3,4]"})");
  // Capped, never inside a UTF-8 character.
  std::string long_body = "{\"t\":\"" + std::string(10000, 'x') + "\"}";
  std::string capped = ElideNumberArrays(long_body, 100);
  EXPECT_EQ(capped.size(), 100u + 3);
  EXPECT_EQ(capped.substr(100), "\u2026");
  EXPECT_EQ(ElideNumberArrays("\"\u00e9\u00e9\"", 2), "\"\u2026");
  // Not JSON at all: still one capped line.
  EXPECT_EQ(ElideNumberArrays("[1,2,3,4", 100), "[1,2,3,4");
}

}  // namespace
}  // namespace lookalike::testing
