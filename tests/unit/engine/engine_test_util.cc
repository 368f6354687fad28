#include "engine_test_util.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>

namespace lookalike::testing {

TempDir::TempDir() {
  std::random_device rd;
  path_ = (std::filesystem::temp_directory_path() /
           ("lookalike-engine-test-" + std::to_string(rd()) + std::to_string(rd())))
              .string();
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::unique_ptr<Engine> OpenEngine(const std::string& dir, bool snapshot_on_shutdown) {
  EngineOptions options;
  options.data_dir = dir;
  options.threads = 2;
  options.snapshot_on_shutdown = snapshot_on_shutdown;
  auto engine = Engine::Open(options);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  if (!engine.ok()) return nullptr;
  return std::move(engine).value();
}

Json::Json(const std::string& t) : text(t) {
  auto error = parser.parse(text).get(root);
  EXPECT_FALSE(error) << "not JSON: " << text;
}

simdjson::dom::element Json::At(const char* pointer) const {
  simdjson::dom::element e;
  auto error = root.at_pointer(pointer).get(e);
  EXPECT_FALSE(error) << "missing " << pointer << " in " << text;
  return e;
}

bool Json::Has(const char* pointer) const {
  simdjson::dom::element e;
  return !root.at_pointer(pointer).get(e);
}

int64_t Json::Int(const char* pointer) const {
  int64_t v = -999999;
  auto error = At(pointer).get_int64().get(v);
  EXPECT_FALSE(error) << pointer << " is not an integer in " << text;
  return v;
}

std::string Json::Str(const char* pointer) const {
  std::string_view v;
  auto error = At(pointer).get_string().get(v);
  EXPECT_FALSE(error) << pointer << " is not a string in " << text;
  return std::string(v);
}

std::vector<std::string> HitIds(const std::string& response) {
  Json j(response);
  std::vector<std::string> out;
  simdjson::dom::array hits;
  if (j.At("/hits/hits").get_array().get(hits)) return out;
  for (auto h : hits) {
    std::string_view id;
    if (!h["_id"].get_string().get(id)) out.emplace_back(id);
  }
  return out;
}

Result<std::string> Bulk(Engine& engine, std::string_view index, std::string_view ndjson,
                         RefreshPolicy refresh) {
  return es::Bulk(engine, index, ndjson, refresh);
}

Result<WriteOutcome> Update(Engine& engine, std::string_view index, std::string_view id,
                            std::string_view body_json, RefreshPolicy refresh,
                            const WriteCondition& condition) {
  WriteOp op;
  op.kind = WriteKind::kUpdate;
  op.index = std::string(index);
  op.id = std::string(id);
  op.condition = condition;
  LOOKALIKE_RETURN_IF_ERROR(es::ParseUpdateBody(body_json, &op));
  return engine.WriteDocument(std::move(op), refresh);
}

Result<SearchResult> SearchTyped(Engine& engine, std::string_view index, std::string_view body) {
  es::SearchParseOptions options;
  options.max_clause_count = engine.MaxClauseCount();
  LOOKALIKE_ASSIGN_OR_RETURN(SearchRequest request, es::ParseSearchRequest(body, {}, options));
  return engine.Search(index, request);
}

Result<GotDocument> GetDoc(const Engine& engine, std::string_view index, std::string_view id,
                           const SourceFilter& source) {
  auto doc = engine.GetDocument(index, id, source);
  if (!doc.ok()) return doc.status();
  return GotDocument{doc->found ? 200 : 404, es::RenderStoredDocument(*doc)};
}

KilledChild KillNineAfter(int stop_at,
                          const std::function<void(const std::function<bool(int)>& report)>& child) {
  KilledChild result;
  int fds[2];
  if (pipe(fds) != 0) return result;
  pid_t pid = fork();
  if (pid < 0) return result;
  if (pid == 0) {
    close(fds[0]);
    child([&](int value) { return write(fds[1], &value, sizeof(value)) == sizeof(value); });
    for (;;) pause();
  }
  close(fds[1]);
  pollfd pfd{fds[0], POLLIN, 0};
  int value = 0;
  while (result.last_report < stop_at && poll(&pfd, 1, 60000) == 1 &&
         read(fds[0], &value, sizeof(value)) == sizeof(value)) {
    result.last_report = value;
  }
  kill(pid, SIGKILL);
  waitpid(pid, &result.wait_status, 0);
  close(fds[0]);
  return result;
}

std::string VectorJson(const std::vector<float>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ",";
    char buf[32];
    snprintf(buf, sizeof(buf), "%.9g", v[i]);
    s += buf;
  }
  return s + "]";
}

}  // namespace lookalike::testing
