#include "server/handlers/slowlog.h"

#include <simdjson.h>

#include "common/json_elide.h"
#include "common/json_writer.h"

namespace lookalike::server {
namespace {

struct KindScan {
  bool knn = false;
  bool filtered = false;
  bool image = false;
  bool other_query = false;  // any clause but match_all
};

void Scan(simdjson::dom::element e, bool in_knn, bool in_bool, KindScan* scan) {
  simdjson::dom::array array;
  if (e.get_array().get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::element item : array) Scan(item, in_knn, in_bool, scan);
    return;
  }
  simdjson::dom::object object;
  if (e.get_object().get(object) != simdjson::SUCCESS) return;
  for (auto [key, value] : object) {
    if (in_knn && (key == "filter" || key == "post_filter")) scan->filtered = true;
    if (key == "knn") {
      scan->knn = true;
      scan->filtered |= in_bool;
      Scan(value, true, in_bool, scan);
      continue;
    }
    if (key == "neural") scan->image = true;
    Scan(value, in_knn, in_bool || key == "bool", scan);
  }
}

}  // namespace

std::string SearchQueryKind(std::string_view body_json) {
  if (body_json.find_first_not_of(" \t\r\n") == std::string_view::npos) return "match_all";
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body_json.data(), body_json.size()).get(root) != simdjson::SUCCESS ||
      !root.is_object()) {
    return "text";
  }
  KindScan scan;
  simdjson::dom::element part;
  if (root["knn"].get(part) == simdjson::SUCCESS) Scan(root, false, false, &scan);
  if (root["query"].get(part) == simdjson::SUCCESS) {
    simdjson::dom::object query;
    if (part.get_object().get(query) == simdjson::SUCCESS && query.size() == 1 &&
        (*query.begin()).key == "match_all") {
      // match_all, unless a top-level knn section is searched as well
    } else {
      scan.other_query = true;
      Scan(part, false, false, &scan);
    }
  }
  if (scan.image) return "image";
  if (scan.knn) {
    bool filtered = scan.filtered || root["post_filter"].error() == simdjson::SUCCESS;
    return filtered ? "filtered_knn" : "knn";
  }
  return scan.other_query ? "text" : "match_all";
}

void MaybeLogSlowSearch(Engine& engine, std::string_view index_expr, std::string_view body,
                        std::chrono::steady_clock::time_point started,
                        const Result<SearchResult>& result, std::string_view kind) {
  int64_t took = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count();
  int64_t floor = engine.SearchSlowLogFloorNanos();
  if (floor < 0 || took < floor || !result.ok() || engine.slow_log() == nullptr) return;
  std::string query_kind = kind.empty() ? SearchQueryKind(body) : std::string(kind);
  std::string source = ElideNumberArrays(body, kSlowLogMaxSourceBytes);
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  for (const IndexSlowLogSettings& index : engine.SlowLogSettings(index_expr)) {
    std::optional<SlowLogLevel> level = index.search.LevelFor(took);
    if (!level) continue;
    SlowLogEntry entry;
    entry.timestamp_ms = now_ms;
    entry.level = *level;
    entry.type = "search";
    entry.index = index.index;
    entry.took_ms = static_cast<double>(took) / 1e6;
    entry.kind = query_kind;
    entry.total_hits = result->total.tracked ? result->total.value : -1;
    entry.source = source;
    engine.slow_log()->Record(std::move(entry));
  }
}

void RegisterSlowLogHandlers(Router& router, Engine& engine) {
  router.Add("GET", "/_lookalike/slowlog", [&engine](const RestRequest&, HttpResponse* resp) {
    JsonWriter w;
    w.BeginObject().Key("entries").BeginArray();
    if (SlowLog* log = engine.slow_log()) {
      for (const SlowLogEntry& e : log->Entries()) {
        w.BeginObject().Key("timestamp").Int(e.timestamp_ms);
        w.Key("level").String(SlowLogLevelName(e.level)).Key("type").String(e.type);
        w.Key("index").String(e.index).Key("took_ms").Double(e.took_ms);
        if (e.type == "search") {
          w.Key("kind").String(e.kind).Key("total_hits").Int(e.total_hits);
        } else {
          w.Key("id").String(e.id);
        }
        w.Key("source").String(e.source);
        w.EndObject();
      }
    }
    w.EndArray().EndObject();
    resp->status = 200;
    resp->body = w.Take();
  });
}

}  // namespace lookalike::server
