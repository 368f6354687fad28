// A search request as the engine runs it: the JSON body and the URL parameters parsed once into
// one struct (the query, knn and post_filter stay DOM elements and are turned into query trees
// per index, because field types differ between indices).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/aggregations.h"
#include "engine/json_util.h"
#include "engine/source_filter.h"
#include "lookalike/engine.h"
#include "lookalike/status.h"

namespace lookalike::engine {

struct SortKey {
  enum class Kind { kScore, kDoc, kField } kind = Kind::kScore;
  std::string field;
  bool desc = true;
};

struct SearchRequest {
  element query;
  bool has_query = false;
  element knn;
  bool has_knn = false;
  element post_filter;
  bool has_post_filter = false;
  int64_t size = 10;
  int64_t from = 0;
  /// The default k of a top-level knn section: the request's size, kept apart because a shard
  /// search (SearchOptions::as_shard) widens size without changing k.
  int64_t knn_default_k = 10;
  SourceFilter source;
  std::vector<SortKey> sort;
  int64_t track_limit = 10000;  // -1 = exact, 0 = do not track
  bool has_min_score = false;
  double min_score = 0;
  bool seq_no_primary_term = false;
  bool version = false;
  element search_after;  // the previous page's last "sort" values
  bool has_search_after = false;
  std::vector<AggRequest> aggs;

  /// Sorted by score alone (no "sort", or only _score descending): hits carry a score and no
  /// sort values.
  bool ScoreSorted() const {
    return sort.empty() || (sort.size() == 1 && sort[0].kind == SortKey::Kind::kScore &&
                            sort[0].desc);
  }
};

/// Memory the request's elements point into; must outlive the SearchRequest.
struct RequestBuffers {
  simdjson::dom::parser q_parser;  // the ?q= query
  std::string q_body;
};

/// Parses a _search body (empty = match_all) with `parser` and applies the URL parameters of
/// `options` over it (including ?q= into `buffers`, and the shard widening of as_shard).
Status ParseSearchRequest(std::string_view body_json, const SearchOptions& options,
                          simdjson::dom::parser& parser, RequestBuffers* buffers,
                          SearchRequest* req);

/// A _count body ({"query":…} or empty) plus ?q=.
Status ParseCountRequest(std::string_view body_json, const SearchOptions& options,
                         simdjson::dom::parser& parser, RequestBuffers* buffers,
                         SearchRequest* req);

/// indices.query.bool.max_clause_count over the whole request (query, knn section,
/// post_filter), checked before any index is touched.
Status CheckClauseCount(const SearchRequest& req, size_t max_clause_count);

/// The checks that need the target indices: the result window (smallest
/// index.max_result_window of the targets) and the search_after shape.
Status CheckSearchWindow(const SearchRequest& req, int64_t window);

}  // namespace lookalike::engine
