// Shared helpers for engine tests: a temporary data directory and JSON inspection.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <string>

#include "lookalike/engine.h"
#include "server/es/bulk_codec.h"
#include "server/es/doc_codec.h"
#include "server/es/search_render.h"

namespace lookalike::testing {

// Search and count responses as clients see them (engine call + the server's renderer).
using es::CountJson;
using es::SearchJson;

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
                           const SearchOptions& options = {});

/// Ids of search hits in order.
std::vector<std::string> HitIds(const std::string& response);

}  // namespace lookalike::testing
