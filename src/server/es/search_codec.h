// The Elasticsearch/OpenSearch codec for _search and _count requests: the JSON body and the URL
// parameters parsed once, here at the edge, into the engine's typed requests
// (lookalike/search_request.h). The engine parses no search body.
//
// URL parameters override the body (Elasticsearch behaviour):
//   size, from              non-negative integers (illegal_argument_exception "Failed to parse
//                           int parameter [size] with value [x]")
//   q                       "field:value" → a match query replacing the body's query; "*" and
//                           "*:*" → no query; anything else illegal_argument_exception
//   _source                 "true", "false" or comma-separated includes
//   _source_includes/_source_excludes   comma-separated
//   sort                    "field:asc,field2:desc" ("field" alone: the default order)
//   track_total_hits        "true", "false" or a non-negative integer
//   seq_no_primary_term, version        "true"/"false" ("" = true)
// Other parameters are ignored here. Errors keep Elasticsearch's types and texts: parsing_exception
// for malformed JSON or a malformed clause, illegal_argument_exception for values out of range,
// search_phase_execution_exception (too_many_clauses) when the queries hold more than
// `max_clause_count` nested clauses — counted on the JSON, before any tree is built.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lookalike/engine.h"
#include "lookalike/query_dsl.h"
#include "lookalike/search_request.h"
#include "lookalike/status.h"
#include "server/es/search_pipeline.h"

namespace lookalike::es {

/// Decoded ?name=value pairs in URL order; a name given twice takes its last value.
using UrlParams = std::vector<std::pair<std::string, std::string>>;

/// The last value of `name`, or nullptr.
const std::string* FindParam(const UrlParams& params, std::string_view name);

struct SearchParseOptions {
  /// indices.query.bool.max_clause_count (Engine::MaxClauseCount()).
  size_t max_clause_count = 1024;
  /// The first page of a scroll: the body's "scroll" (the keep-alive, read by the caller) and
  /// "search_after" are ignored.
  bool scroll = false;
  /// The caller reads the body's "query" itself (the image API's neural query); it is ignored.
  bool skip_query = false;
  /// Stored search pipelines (search_pipeline.h): called with ?search_pipeline's value (a
  /// missing pipeline is the callee's error), and with null for a hybrid query that names
  /// none (the target index's index.search.default_pipeline). nullopt: no pipeline ("_none",
  /// no default). Unset: ?search_pipeline is refused (illegal_argument_exception). A pipeline
  /// acts on a hybrid query only, as OpenSearch's phase-results processors do; an inline
  /// "search_pipeline" in the body wins over the index default (both with the parameter: 400).
  std::function<Result<std::optional<SearchPipeline>>(const std::string* named)> stored_pipeline;
};

/// A _search body (empty or whitespace = match_all) plus its URL parameters. The top-level knn
/// entries get their default k (the final size) and num_candidates here.
Result<SearchRequest> ParseSearchRequest(std::string_view body, const UrlParams& params,
                                         const SearchParseOptions& options = {});

/// A _count body ({"query":…} or empty; parsing_exception "request does not support [x]" for
/// any other key) plus ?q=.
Result<CountRequest> ParseCountRequest(std::string_view body, const UrlParams& params,
                                       size_t max_clause_count = 1024);

/// One query object as JSON text (a knn filter given as a form field or CLI flag):
/// parsing_exception when it is not a JSON object or not a query; too_many_clauses above the
/// limit.
Result<QueryNode> ParseQueryJson(std::string_view json, size_t max_clause_count = 1024);

/// The _source parameters of GET _doc / _mget: ?_source (or `source_override`, an _mget
/// entry's own "_source"), ?_source_includes, ?_source_excludes.
SourceFilter SourceFilterFromUrl(const UrlParams& params,
                                 const std::string* source_override = nullptr);

/// Engine::Search of the parsed request, rendered (search_render.h); for callers that want the
/// response text (the CLI's local target, tests).
Result<std::string> SearchJson(Engine& engine, std::string_view index, std::string_view body,
                               const UrlParams& params = {});

/// Engine::Count of the parsed request, rendered.
Result<std::string> CountJson(Engine& engine, std::string_view index, std::string_view body,
                              const UrlParams& params = {});

}  // namespace lookalike::es
