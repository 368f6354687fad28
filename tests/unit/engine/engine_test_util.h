// Shared helpers for engine tests: a temporary data directory and JSON inspection.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lookalike/engine.h"
#include "server/es/bulk_codec.h"
#include "server/es/doc_codec.h"
#include "server/es/search_codec.h"
#include "server/es/search_render.h"

namespace lookalike::testing {

// Search and count responses as clients see them: the codec parses the JSON body (and URL
// parameters) into a typed request, the engine runs it, the renderer writes the response.
using es::CountJson;
using es::SearchJson;
using es::UrlParams;

/// The typed result of a JSON search body (the codec's parse, then Engine::Search).
Result<SearchResult> SearchTyped(Engine& engine, std::string_view index, std::string_view body);

/// A fresh directory under /tmp removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Opens an engine on `dir` (asserts success).
std::unique_ptr<Engine> OpenEngine(const std::string& dir, bool snapshot_on_shutdown = true);

/// Parsed JSON kept alive with its parser.
struct Json {
  explicit Json(const std::string& text);
  simdjson::dom::parser parser;
  std::string text;
  simdjson::dom::element root;
  /// JSON pointer lookup ("/hits/total/value"); asserts presence.
  simdjson::dom::element At(const char* pointer) const;
  int64_t Int(const char* pointer) const;
  std::string Str(const char* pointer) const;
  bool Has(const char* pointer) const;
};

/// POST _bulk through the Elasticsearch codec (server/es/bulk_codec.h): the response body.
Result<std::string> Bulk(Engine& engine, std::string_view index, std::string_view ndjson,
                         RefreshPolicy refresh);
/// POST /{index}/_update/{id} with an _update body, through the codec.
Result<WriteOutcome> Update(Engine& engine, std::string_view index, std::string_view id,
                            std::string_view body_json, RefreshPolicy refresh,
                            const WriteCondition& condition = {});

/// GET _doc as the REST API answers it: the status (200/404) and the rendered body.
struct GotDocument {
  int http_status = 200;
  std::string body;
};
Result<GotDocument> GetDoc(const Engine& engine, std::string_view index, std::string_view id,
                           const SourceFilter& source = {});

/// kill -9 of a writer: runs `child` in a forked process; `child` reports progress through the
/// given function (false when the parent is gone) and, once it returns, waits to be killed.
/// The parent kills it with SIGKILL as soon as it reported a value >= stop_at, or after 60 s
/// without a report. Only the forking thread survives fork(): `child` must not wait for
/// background threads created earlier (RocksDB's pool: no Flush) and _exit()s on failure.
struct KilledChild {
  int last_report = -1;  // -1: never reported
  int wait_status = 0;   // as from waitpid
};
KilledChild KillNineAfter(int stop_at,
                          const std::function<void(const std::function<bool(int)>& report)>& child);

/// A vector as a JSON array, every float written so that it parses back bit for bit (%.9g).
std::string VectorJson(const std::vector<float>& v);

/// Ids of search hits in order.
std::vector<std::string> HitIds(const std::string& response);

}  // namespace lookalike::testing
