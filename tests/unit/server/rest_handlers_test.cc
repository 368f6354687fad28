// REST behaviour against a fake engine: the handlers pass the right arguments and map results
// and errors to HTTP. Declarative cases: request → expected status and body fragment.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <string>

#include "server/handlers/rest_common.h"
#include "server/handlers/slowlog.h"
#include "server/rest_server.h"
#include "storage/disk_monitor.h"

namespace lookalike::server {
namespace {

// Records the last call and answers from canned values.
class FakeEngine final : public Engine {
 public:
  std::string last;  // "Method index id body"
  SearchRequest last_request;  // the last Search call's request
  Status next_error;
  SearchResult search_result;  // what Search answers

  Result<std::string> Answer(std::string call) {
    last = std::move(call);
    if (!next_error.ok()) return next_error;
    return std::string("{\"ok\":true}");
  }
  // Index management records the typed call it received (what the codec made of the body).
  template <typename T>
  Result<T> AnswerTyped(std::string call, T value) {
    last = std::move(call);
    if (!next_error.ok()) return next_error;
    return value;
  }
  Result<CreatedIndex> CreateIndex(std::string_view n, const IndexDefinition& d) override {
    std::string call = "CreateIndex " + std::string(n);
    for (const auto& [key, value] : d.settings) call += " " + key + "=" + value;
    for (const FieldDefinition& f : d.mapping.fields) call += " field:" + f.path;
    return AnswerTyped(call, CreatedIndex{std::string(n)});
  }
  Result<Acknowledged> DeleteIndex(std::string_view n) override {
    return AnswerTyped("DeleteIndex " + std::string(n), Acknowledged{});
  }
  bool IndexExists(std::string_view n) const override { return n == "exists"; }
  Result<std::vector<IndexDescription>> DescribeIndices(std::string_view n,
                                                        bool defaults) const override {
    IndexDescription d;
    d.name = std::string(n);
    return const_cast<FakeEngine*>(this)->AnswerTyped(
        "Describe " + std::string(n) + " defaults=" + std::to_string(defaults),
        std::vector<IndexDescription>{d});
  }
  Result<Acknowledged> PutMapping(std::string_view n, const MappingDefinition& m) override {
    std::string call = "PutMapping " + std::string(n);
    for (const FieldDefinition& f : m.fields) call += " field:" + f.path;
    return AnswerTyped(call, Acknowledged{});
  }
  Result<Acknowledged> UpdateSettings(std::string_view n, const SettingsUpdate& u) override {
    std::string call = "UpdateSettings " + std::string(n);
    for (const auto& [key, value] : u) call += " " + key + "=" + value.value_or("null");
    return AnswerTyped(call, Acknowledged{});
  }
  // Slow log: every searched index logs at info from `slow_floor` nanoseconds (-1 = off).
  int64_t slow_floor = -1;
  SlowLog slow;
  int64_t SearchSlowLogFloorNanos() const override { return slow_floor; }
  std::vector<IndexSlowLogSettings> SlowLogSettings(std::string_view n) const override {
    IndexSlowLogSettings s;
    s.index = std::string(n);
    s.search.nanos[static_cast<int>(SlowLogLevel::kInfo)] = slow_floor;
    return {s};
  }
  SlowLog* slow_log() override { return &slow; }
  std::vector<IndexInfo> ListIndices() const override {
    IndexInfo a;
    a.name = "alpha";
    a.uuid = "u1";
    a.docs_count = 7;
    a.store_size_bytes = 2048;
    return {a};
  }
  Result<ShardsSummary> Refresh(std::string_view n) override {
    return AnswerTyped("Refresh " + std::string(n), ShardsSummary{});
  }
  Result<ShardsSummary> Flush(std::string_view n) override {
    return AnswerTyped("Flush " + std::string(n), ShardsSummary{});
  }
  Result<std::vector<IndexStatistics>> Stats(std::string_view n) const override {
    return const_cast<FakeEngine*>(this)->AnswerTyped("Stats " + std::string(n),
                                                      std::vector<IndexStatistics>{});
  }
  ClusterHealthReport ClusterHealth() const override { return {}; }
  Result<WriteOutcome> WriteDocument(WriteOp op, RefreshPolicy refresh) override {
    WriteOutcome r;
    r.index = op.index;
    r.id = op.id;
    switch (op.kind) {
      case WriteKind::kIndex:
      case WriteKind::kCreate:
        last = "IndexDocument " + op.index + " " + op.id + " " + op.source +
               " op=" + std::to_string(static_cast<int>(op.kind)) +
               " refresh=" + std::to_string(static_cast<int>(refresh));
        if (op.condition.active()) {
          last += " if=" + std::to_string(op.condition.if_seq_no) + "/" +
                  std::to_string(op.condition.if_primary_term);
        }
        if (!next_error.ok()) return next_error;
        if (r.id.empty()) r.id = "generated";
        r.result = WriteResultKind::kCreated;
        return r;
      case WriteKind::kDelete:
        last = "DeleteDocument " + op.index + " " + op.id;
        r.result = WriteResultKind::kNotFound;
        return r;
      case WriteKind::kUpdate:
        last = "UpdateDocument " + op.index + " " + op.id + " " + op.partial_doc.value_or("");
        return Status::NotFound("[1]: document missing").WithType("document_missing_exception");
    }
    return r;
  }
  Result<StoredDocument> GetDocument(std::string_view index, std::string_view id,
                                     const SourceFilter& source) const override {
    const_cast<FakeEngine*>(this)->last = "GetDocument " + std::string(index) + " " +
                                          std::string(id) +
                                          " source=" + (source.enabled ? "" : "false");
    StoredDocument doc;
    doc.index = std::string(index);
    doc.id = std::string(id);
    doc.found = id != "missing";
    if (doc.found) doc.source = "{}";
    return doc;
  }
  Result<std::vector<WriteOutcome>> Write(std::vector<WriteOp> ops,
                                          RefreshPolicy refresh) override {
    last = "Bulk";
    for (const WriteOp& op : ops) last += " " + op.index + "/" + op.id;
    last += " refresh=" + std::to_string(static_cast<int>(refresh));
    if (!next_error.ok()) return next_error;
    std::vector<WriteOutcome> outcomes(ops.size());
    for (size_t i = 0; i < ops.size(); ++i) {
      outcomes[i].index = ops[i].index;
      outcomes[i].id = ops[i].id;
      outcomes[i].result = WriteResultKind::kNotFound;
    }
    return outcomes;
  }
  Result<SearchResult> Search(std::string_view index, const SearchRequest& r,
                              const SearchOptions&) override {
    last_request = r;
    auto answer = Answer("Search " + std::string(index) + " size=" + std::to_string(r.size) +
                         " from=" + std::to_string(r.from));
    if (!answer.ok()) return answer.status();
    return search_result;
  }
  Result<CountResult> Count(std::string_view index, const CountRequest&) override {
    auto answer = Answer("Count " + std::string(index));
    if (!answer.ok()) return answer.status();
    return CountResult();
  }
  void Shutdown() override {}
};

class RestTest : public ::testing::Test {
 protected:
  HttpResponse Call(std::string method, std::string target, std::string body = "") {
    HttpRequest r;
    r.method = std::move(method);
    r.target = target;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = ParseQueryString(target.substr(q + 1));
    if (!body.empty()) r.headers.emplace_back("content-type", "application/json");
    r.body = std::move(body);
    HttpResponse resp;
    server_.Handle(r, &resp);
    return resp;
  }
  FakeEngine engine_;
  RestServer server_{&engine_, RestServerOptions{}};
};

TEST_F(RestTest, RootIdentifiesAsElasticsearch7) {
  HttpResponse r = Call("GET", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"number\":\"7.10.2\""), std::string::npos);
  EXPECT_NE(r.body.find("\"tagline\":\"You Know, for Search\""), std::string::npos);
  EXPECT_NE(r.body.find("\"build_flavor\":\"default\""), std::string::npos);
}

TEST_F(RestTest, Declarative) {
  struct Case {
    const char* method;
    const char* target;
    const char* body;
    int status;
    const char* engine_call;  // expected prefix of FakeEngine::last ("" = not checked)
  };
  const Case cases[] = {
      {"PUT", "/idx", "{\"settings\":{\"index\":{\"knn\":true}},\"mappings\":{\"properties\":{"
       "\"t\":{\"type\":\"text\"}}}}",
       200, "CreateIndex idx index.knn=true field:t"},
      {"PUT", "/idx", "", 200, "CreateIndex idx"},
      {"PUT", "/idx", "{\"mappings\":{\"properties\":{\"t\":{}}}}", 400, ""},
      {"PUT", "/idx", "[1]", 400, ""},
      {"GET", "/idx", "", 200, "Describe idx defaults=0"},
      {"DELETE", "/idx", "", 200, "DeleteIndex idx"},
      {"GET", "/idx/_mapping", "", 200, "Describe idx defaults=0"},
      {"GET", "/_mapping", "", 200, "Describe  defaults=0"},
      {"PUT", "/idx/_mapping", "{}", 200, "PutMapping idx"},
      {"PUT", "/idx/_mapping", "{\"properties\":{\"k\":{\"type\":\"keyword\"}}}", 200,
       "PutMapping idx field:k"},
      {"PUT", "/idx/_mapping", "{\"properties\":{\"k\":{\"type\":\"nope\"}}}", 400, ""},
      {"POST", "/idx/_refresh", "", 200, "Refresh idx"},
      {"POST", "/_refresh", "", 200, "Refresh "},
      {"POST", "/idx/_flush", "", 200, "Flush idx"},
      {"GET", "/idx/_stats", "", 200, "Stats idx"},
      {"GET", "/idx/_count", "", 200, "Count idx"},
      {"PUT", "/idx/_doc/7?refresh=true", "{}", 201, "IndexDocument idx 7 {} op=0 refresh=1"},
      {"POST", "/idx/_doc/7?refresh", "{}", 201, "IndexDocument idx 7 {} op=0 refresh=1"},
      {"POST", "/idx/_doc?refresh=wait_for", "{}", 201, "IndexDocument idx  {} op=0 refresh=2"},
      {"PUT", "/idx/_create/7", "{}", 201, "IndexDocument idx 7 {} op=1"},
      {"PUT", "/idx/_doc/7?op_type=create", "{}", 201, "IndexDocument idx 7 {} op=1"},
      {"PUT", "/idx/_doc/7?refresh=maybe", "{}", 400, ""},
      {"PUT", "/idx/_doc/7?if_seq_no=3&if_primary_term=1", "{}", 201,
       "IndexDocument idx 7 {} op=0 refresh=0 if=3/1"},
      {"PUT", "/idx/_doc/7?if_seq_no=3", "{}", 400, ""},
      {"PUT", "/idx/_doc/7?if_seq_no=x&if_primary_term=1", "{}", 400, ""},
      {"DELETE", "/idx/_doc/7?if_primary_term=1", "", 400, ""},
      {"GET", "/idx/_doc/7?_source=false", "", 200, "GetDocument idx 7 source=false"},
      {"GET", "/idx/_doc/missing", "", 404, "GetDocument idx missing"},
      {"DELETE", "/idx/_doc/9", "", 404, "DeleteDocument idx 9"},
      {"POST", "/idx/_update/1", "{\"doc\":{}}", 404, "UpdateDocument idx 1"},
      {"POST", "/_bulk", "{\"delete\":{\"_index\":\"i\",\"_id\":\"1\"}}\n", 200,
       "Bulk i/1 refresh=0"},
      {"POST", "/idx/_bulk?refresh=true", "{\"delete\":{\"_id\":\"2\"}}\n", 200,
       "Bulk idx/2 refresh=1"},
      {"POST", "/idx/_bulk", "{}\n", 400, ""},
      {"GET", "/idx/_search?size=5&from=2", "{}", 200, "Search idx size=5 from=2"},
      {"POST", "/_search", "", 200, "Search  "},
      {"GET", "/idx/_search?size=abc", "", 400, ""},
      {"GET", "/idx/_search?size=-4", "", 400, ""},
      {"PATCH", "/idx/_search", "", 405, ""},
      {"PUT", "/idx/_settings", "{\"index\":{\"number_of_replicas\":2}}", 200,
       "UpdateSettings idx index.number_of_replicas=2"},
      {"PUT", "/_settings", "{\"refresh_interval\":null}", 200,
       "UpdateSettings  index.refresh_interval=null"},
      {"PUT", "/_all/_settings", "{\"index.refresh_interval\":\"2s\"}", 200,
       "UpdateSettings _all index.refresh_interval=2s"},
      {"PUT", "/a*,b/_settings", "{\"settings\":{\"index\":{\"refresh_interval\":\"2s\"}}}", 200,
       "UpdateSettings a*,b index.refresh_interval=2s"},
      {"PUT", "/idx/_settings", "{\"index\":{}}", 400, ""},
      {"GET", "/idx/_settings", "", 200, "Describe idx defaults=0"},
      {"GET", "/_settings?flat_settings=true&include_defaults", "", 200,
       "Describe  defaults=1"},
      {"GET", "/_lookalike/slowlog", "", 200, ""},
      {"DELETE", "/idx/_mapping", "", 405, ""},
  };
  for (const Case& c : cases) {
    engine_.last.clear();
    HttpResponse r = Call(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << ": " << r.body;
    if (c.engine_call[0] != '\0') {
      EXPECT_EQ(engine_.last.rfind(c.engine_call, 0), 0u)
          << c.method << " " << c.target << ": " << engine_.last;
    }
    if (r.status >= 400 && r.body.find("found") == std::string::npos) {
      EXPECT_NE(r.body.find("\"status\":" + std::to_string(c.status)), std::string::npos)
          << c.method << " " << c.target << ": " << r.body;
    }
  }
}

TEST_F(RestTest, SlowSearchIsKeptWithItsIndexKindAndElidedVector) {
  const std::string knn =
      R"({"query":{"knn":{"v":{"vector":[0.5,1,2,3,4.25],"k":3,"filter":{"term":{"c":"x"}}}}}})";
  EXPECT_EQ(Call("POST", "/photos/_search", knn).status, 200);
  EXPECT_TRUE(engine_.slow.Entries().empty());  // every threshold off: nothing logged

  engine_.slow_floor = 0;
  engine_.search_result.total.value = 42;
  EXPECT_EQ(Call("POST", "/photos/_search", knn).status, 200);
  EXPECT_EQ(Call("GET", "/photos/_search").status, 200);
  auto entries = engine_.slow.Entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].type, "search");
  EXPECT_EQ(entries[0].index, "photos");
  EXPECT_EQ(entries[0].level, SlowLogLevel::kInfo);
  EXPECT_EQ(entries[0].kind, "filtered_knn");
  EXPECT_EQ(entries[0].total_hits, 42);
  EXPECT_NE(entries[0].source.find("[\u2026"
                                   "5 floats\u2026]"),
            std::string::npos)
      << entries[0].source;
  EXPECT_EQ(entries[0].source.find("4.25"), std::string::npos) << entries[0].source;
  EXPECT_EQ(entries[1].kind, "match_all");
  EXPECT_NE(entries[0].Line().find("index[photos]"), std::string::npos) << entries[0].Line();

  HttpResponse listed = Call("GET", "/_lookalike/slowlog");
  EXPECT_EQ(listed.status, 200);
  EXPECT_NE(listed.body.find("\"kind\":\"filtered_knn\""), std::string::npos) << listed.body;
  EXPECT_NE(listed.body.find("\"index\":\"photos\""), std::string::npos) << listed.body;
}

TEST(SlowLogKind, ReadFromTheSearchBody) {
  EXPECT_EQ(SearchQueryKind(""), "match_all");
  EXPECT_EQ(SearchQueryKind(R"({"query":{"match_all":{}}})"), "match_all");
  EXPECT_EQ(SearchQueryKind(R"({"size":3})"), "match_all");
  EXPECT_EQ(SearchQueryKind(R"({"query":{"term":{"c":"x"}}})"), "text");
  EXPECT_EQ(SearchQueryKind(R"({"query":{"knn":{"v":{"vector":[1,2],"k":2}}}})"), "knn");
  EXPECT_EQ(SearchQueryKind(R"({"knn":{"field":"v","query_vector":[1,2],"k":2}})"), "knn");
  EXPECT_EQ(SearchQueryKind(
                R"({"knn":{"field":"v","query_vector":[1,2],"k":2,"filter":{"term":{"c":1}}}})"),
            "filtered_knn");
  EXPECT_EQ(SearchQueryKind(R"({"query":{"bool":{"must":[{"knn":{"v":{"vector":[1],"k":1}}}],
            "filter":[{"term":{"c":1}}]}}})"),
            "filtered_knn");
  EXPECT_EQ(SearchQueryKind(R"({"query":{"knn":{"v":{"vector":[1],"k":1}}},"post_filter":{}})"),
            "filtered_knn");
  EXPECT_EQ(SearchQueryKind(R"({"query":{"neural":{"v":{"query_image":"abc","k":1}}}})"), "image");
  EXPECT_EQ(SearchQueryKind("{not json"), "text");
}

TEST_F(RestTest, HeadIndex) {
  EXPECT_EQ(Call("HEAD", "/exists").status, 200);
  EXPECT_EQ(Call("HEAD", "/nope").status, 404);
}

TEST_F(RestTest, EngineErrorsAreMapped) {
  engine_.next_error =
      Status::NotFound("no such index [zz]").WithType("index_not_found_exception");
  HttpResponse r = Call("GET", "/zz/_search");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("index_not_found_exception"), std::string::npos);
  engine_.next_error = Status::Conflict("[1]: version conflict")
                           .WithType("version_conflict_engine_exception");
  EXPECT_EQ(Call("PUT", "/idx/_create/1", "{}").status, 409);
  engine_.next_error = Status::AlreadyExists("index [idx/u] already exists")
                           .WithType("resource_already_exists_exception");
  EXPECT_EQ(Call("PUT", "/idx", "{}").status, 400);
}

TEST_F(RestTest, CatIndicesTextAndJson) {
  HttpResponse text = Call("GET", "/_cat/indices?v");
  EXPECT_EQ(text.status, 200);
  EXPECT_NE(text.body.find("health"), std::string::npos);
  EXPECT_NE(text.body.find("alpha"), std::string::npos);
  EXPECT_NE(text.body.find("2.0kb"), std::string::npos);
  HttpResponse json = Call("GET", "/_cat/indices?format=json");
  EXPECT_NE(json.body.find("\"index\":\"alpha\""), std::string::npos);
  EXPECT_NE(json.body.find("\"docs.count\":\"7\""), std::string::npos);
  EXPECT_EQ(Call("GET", "/_cat/indices/zzz").status, 404);
}

// Regression (found while writing the watermark fuzz target): watermarks that are valid only
// together with a transient value were persisted, and the next start refused them ("stored disk
// watermarks ignored"). The persistent half is now checked on its own too.
TEST(ClusterSettingsTest, PersistentHalfMustBeValidOnItsOwn) {
  ClusterSettings settings;
  std::string in_effect;
  auto apply = [&](const ClusterSettings::Lookup& get) -> Status {
    auto watermarks = storage::DiskWatermarks::FromText(
        get(kDiskWatermarkLow), get(kDiskWatermarkHigh), get(kDiskFloodStage));
    if (!watermarks.ok()) return watermarks.status();
    in_effect = watermarks->high.text() + "/" + watermarks->flood_stage.text();
    return Status::OK();
  };
  auto mixed = settings.Update(
      R"({"transient":{"cluster.routing.allocation.disk.watermark.flood_stage":"99%"},)"
      R"("persistent":{"cluster.routing.allocation.disk.watermark.high":"97%"}})",
      apply);
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().type(), "illegal_argument_exception");
  EXPECT_EQ(settings.Get(kDiskWatermarkHigh), "");
  EXPECT_EQ(settings.Get(kDiskFloodStage), "");
  // Both persistent: fine. A transient value that breaks the combined view is refused and the
  // previous watermarks are applied again.
  ASSERT_TRUE(
      settings
          .Update(R"({"persistent":{"cluster.routing.allocation.disk.watermark.high":)"
                  R"("97%","cluster.routing.allocation.disk.watermark.flood_stage":"99%"}})",
                  apply)
          .ok());
  EXPECT_EQ(in_effect, "97%/99%");
  ASSERT_TRUE(
      settings
          .Update(R"({"transient":{"cluster.routing.allocation.disk.watermark.flood_stage":)"
                  R"("99.8%"}})",
                  apply)
          .ok());
  EXPECT_EQ(in_effect, "97%/99.8%");
  EXPECT_FALSE(
      settings
          .Update(R"({"transient":{"cluster.routing.allocation.disk.watermark.high":"99.9%"}})",
                  apply)
          .ok());
  EXPECT_EQ(in_effect, "97%/99.8%");  // not the persistent-only 97%/99% checked on the way
  EXPECT_EQ(settings.Get(kDiskWatermarkHigh), "97%");
}

// The settings file goes through the file-system seam: persisted on update and loaded on the
// next Open, no temporary file left behind, and a file that exists but cannot be read (here a
// directory in its place) is reported and never overwritten.
TEST(ClusterSettingsTest, PersistsThroughTheFileSeamAndKeepsAnUnreadableFile) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) /
                       ("cluster_settings_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = (dir / "cluster_settings.json").string();
  {
    ClusterSettings settings;
    ASSERT_TRUE(settings.Open(path).ok());  // first start: no file
    ASSERT_TRUE(settings.Update(R"({"persistent":{"knn.memory.circuit_breaker.limit":"60%"}})")
                    .ok());
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), {}), 1) << "a temporary file was left";
  {
    ClusterSettings reopened;
    ASSERT_TRUE(reopened.Open(path).ok());
    EXPECT_EQ(reopened.Get("knn.memory.circuit_breaker.limit"), "60%");
  }
  const std::string blocked = (dir / "blocked.json").string();
  fs::create_directories(blocked);
  ClusterSettings settings;
  Status opened = settings.Open(blocked);
  EXPECT_EQ(opened.code(), StatusCode::kIOError) << opened.ToString();
  ASSERT_TRUE(settings.Update(R"({"persistent":{"a.b":"c"}})").ok());  // kept in memory only
  EXPECT_TRUE(fs::is_directory(blocked));
  EXPECT_EQ(std::distance(fs::directory_iterator(blocked), {}), 0);
  fs::remove_all(dir);
}

TEST_F(RestTest, ClusterSettingsRoundTrip) {
  HttpResponse put = Call("PUT", "/_cluster/settings",
                          "{\"persistent\":{\"knn.algo_param.index_thread_qty\":4}}");
  EXPECT_EQ(put.status, 200);
  EXPECT_NE(put.body.find("\"acknowledged\":true"), std::string::npos);
  HttpResponse get = Call("GET", "/_cluster/settings");
  EXPECT_NE(get.body.find("\"knn.algo_param.index_thread_qty\":\"4\""), std::string::npos);
  EXPECT_EQ(Call("PUT", "/_cluster/settings", "{bad").status, 400);
  EXPECT_EQ(Call("PUT", "/_cluster/settings", "{\"other\":{}}").status, 400);
  EXPECT_EQ(Call("GET", "/_cluster/health").status, 200);
}

// Fuzz finding (rest, tests/regress/fuzz/rest/scroll_without_body): continuing a scroll with no
// body and no ?scroll= read the keep-alive from an unset simdjson element (a null document:
// undefined behaviour, a crash in practice). Every body shape must now be handled.
TEST_F(RestTest, ScrollContinuationWithAnyBody) {
  HttpResponse start = Call("POST", "/idx/_search?scroll=1m", "{}");
  ASSERT_EQ(start.status, 200) << start.body;
  const std::string key = "\"_scroll_id\":\"";
  size_t at = start.body.find(key);
  ASSERT_NE(at, std::string::npos) << start.body;
  at += key.size();
  const std::string id = start.body.substr(at, start.body.find('"', at) - at);

  // No body at all: the id from the path, the default keep-alive.
  HttpResponse next = Call("GET", "/_search/scroll/" + id);
  EXPECT_EQ(next.status, 200) << next.body;
  EXPECT_NE(next.body.find(id), std::string::npos) << next.body;
  next = Call("POST", "/_search/scroll/_all");
  EXPECT_EQ(next.status, 404) << next.body;
  EXPECT_NE(next.body.find("search_context_missing_exception"), std::string::npos) << next.body;
  next = Call("POST", "/_search/scroll");
  EXPECT_EQ(next.status, 400) << next.body;
  EXPECT_NE(next.body.find("action_request_validation_exception"), std::string::npos);

  // A JSON body that is not an object is ignored; the id still comes from the path.
  EXPECT_EQ(Call("POST", "/_search/scroll/" + id, "[1]").status, 200);
  // Id and keep-alive from an object body; a bad keep-alive there is still refused.
  const std::string id_member = "{\"scroll_id\":\"" + id + "\",";
  next = Call("POST", "/_search/scroll", id_member + "\"scroll\":\"30s\"}");
  EXPECT_EQ(next.status, 200) << next.body;
  for (const std::string bad : {"25h", ""}) {
    next = Call("POST", "/_search/scroll", id_member + "\"scroll\":\"" + bad + "\"}");
    EXPECT_EQ(next.status, 400) << next.body;
    EXPECT_NE(next.body.find("failed to parse keep-alive [" + bad + "]"), std::string::npos)
        << next.body;
  }
  HttpResponse bad = Call("POST", "/_search/scroll/" + id, "{bad");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("parsing_exception"), std::string::npos) << bad.body;
}

// The next page resumes after the last hit's typed sort values, handed to the engine as they
// came, without parsing the previous response or writing them as JSON.
TEST_F(RestTest, ScrollResumesAfterTheLastHitsSortValues) {
  DocumentHit hit;
  hit.index = "idx";
  hit.id = "7";
  hit.sort = {SortValue::Number(5), SortValue::String("x\"y"), SortValue::Missing(),
              SortValue::Score(0.5f)};
  engine_.search_result.hits = {DocumentHit(), hit};
  engine_.search_result.hits[0].sort = {SortValue::Number(1)};
  HttpResponse start = Call("POST", "/idx/_search?scroll=1m", R"({"sort":["a"]})");
  ASSERT_EQ(start.status, 200) << start.body;
  ASSERT_EQ(start.body.rfind("{\"_scroll_id\":\"", 0), 0u) << start.body;
  EXPECT_NE(start.body.find(R"("sort":[5,"x\"y",null,0.5])"), std::string::npos) << start.body;
  EXPECT_FALSE(engine_.last_request.search_after.has_value());
  std::string id = start.body.substr(15, start.body.find('"', 15) - 15);
  HttpResponse next = Call("GET", "/_search/scroll/" + id);
  ASSERT_EQ(next.status, 200) << next.body;
  ASSERT_EQ(engine_.last_request.sort.size(), 1u);
  EXPECT_EQ(engine_.last_request.sort[0].field, "a");
  ASSERT_TRUE(engine_.last_request.search_after.has_value());
  EXPECT_EQ(*engine_.last_request.search_after, hit.sort);  // typed: nothing written as text
}

}  // namespace
}  // namespace lookalike::server

namespace lookalike::server {
namespace {

// The guard runs before any handler: a refused request never reaches the engine.
TEST_F(RestTest, GuardRefusesBeforeTheEngineSeesTheRequest) {
  HttpRequest r;
  r.method = "POST";
  r.target = r.path = "/_bulk";
  r.headers = {{"host", "localhost:9200"}, {"content-type", "text/plain"}};
  r.body = "{\"delete\":{\"_index\":\"i\",\"_id\":\"1\"}}\n";
  HttpResponse resp;
  server_.Handle(r, &resp);
  EXPECT_EQ(resp.status, 406);
  EXPECT_EQ(engine_.last, "");
  r.headers = {{"host", "evil.example:9200"}, {"content-type", "application/x-ndjson"}};
  server_.Handle(r, &resp);
  EXPECT_EQ(resp.status, 403);
  EXPECT_EQ(engine_.last, "");
  r.headers = {{"host", "localhost:9200"}, {"content-type", "application/x-ndjson"}};
  server_.Handle(r, &resp);
  EXPECT_NE(engine_.last, "");
}

}  // namespace
}  // namespace lookalike::server

namespace lookalike::server {
namespace {

// The REST server runs its requests in the search, write and management lanes; worker_threads
// sizes the search lane and --thread-pool settings the others.
TEST_F(RestTest, ServesInSearchWriteAndManagementLanes) {
  RestServerOptions options;
  options.http.worker_threads = 3;
  ASSERT_TRUE(ApplyThreadPoolSetting("write.size=1", &options.thread_pools).ok());
  ASSERT_TRUE(ApplyThreadPoolSetting("management.queue_size=7", &options.thread_pools).ok());
  RestServer server(&engine_, options);
  std::vector<WorkerPoolStats> lanes = server.lane_stats();
  ASSERT_EQ(lanes.size(), 3u);
  EXPECT_EQ(lanes[0].name, "search");
  EXPECT_EQ(lanes[0].threads, 3);
  EXPECT_EQ(lanes[0].queue_capacity, 1000u);
  EXPECT_EQ(lanes[1].name, "write");
  EXPECT_EQ(lanes[1].threads, 1);
  EXPECT_EQ(lanes[1].queue_capacity, 10000u);
  EXPECT_EQ(lanes[2].name, "management");
  EXPECT_EQ(lanes[2].queue_capacity, 7u);
}

}  // namespace
}  // namespace lookalike::server
