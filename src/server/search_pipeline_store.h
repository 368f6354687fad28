// The node's stored search pipelines (PUT/GET/DELETE _search/pipeline/{id}), kept as the body
// each was given (minified) and persisted whole in one file of the data directory
// (search_pipelines.json, docs/formats/search-pipelines.md) by an atomic replace
// (common/file_env.h), so a crash leaves the old or the new set, never a torn one.
//
// Every body is validated by es::ParseSearchPipeline before it is stored, and parsed again on
// load: what was accepted loads after a restart, and a file that does not parse is reported
// (Corruption) rather than half-loaded.
//
// Thread safety: all methods are thread-safe (mu_ guards pipelines_; a change and its file
// write happen under mu_, so the file always matches memory after a successful call).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lookalike/status.h"
#include "server/es/search_pipeline.h"

namespace lookalike::server {

class SearchPipelineStore {
 public:
  /// `file` "" keeps the pipelines in memory only.
  explicit SearchPipelineStore(std::string file = "");

  /// Reads the file if it exists (a missing file is an empty set).
  Status Load();

  /// Creates or replaces pipeline `id` from `body_json`, then persists. Errors: those of
  /// es::ParseSearchPipelineJson; illegal_argument_exception for an invalid id; the file
  /// write's IOError (nothing changes then).
  Status Put(const std::string& id, std::string_view body_json);

  /// The pipelines `ids` names (comma-separated; "" / "*" / "_all" = all; '*' wildcards), as
  /// (id, body JSON) in id order. 404 resource_not_found_exception when a name without a
  /// wildcard is missing (all: an empty list is not an error).
  Result<std::vector<std::pair<std::string, std::string>>> List(std::string_view ids) const;

  /// 404 resource_not_found_exception when absent; the file write's IOError.
  Status Delete(const std::string& id);

  /// The parsed pipeline `id`; 404 resource_not_found_exception when absent.
  Result<es::SearchPipeline> Find(const std::string& id) const;

 private:
  struct Stored {
    std::string body;  // minified JSON as given
    es::SearchPipeline pipeline;
  };
  Status Save(const std::map<std::string, Stored>& pipelines) const;  // needs mu_

  const std::string file_;
  mutable std::mutex mu_;
  std::map<std::string, Stored> pipelines_;  // guarded by mu_
};

/// 404 resource_not_found_exception "search pipeline [id] is missing".
Status SearchPipelineMissing(std::string_view id);

}  // namespace lookalike::server
