// Search aggregations over the documents a query matched (for a knn query: its k hits):
// `terms` buckets on keyword, boolean and numeric fields, and the metrics min, max, avg, sum and
// value_count on numeric fields. Sub-aggregations and other types are refused with a clear
// error rather than ignored (by the codec that parses "aggs", src/server/es/search_codec.cc).
// The requests are lookalike::AggRequest (lookalike/search_request.h); the collected partials
// are rendered by src/server/es/search_render.cc.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/field_store.h"
#include "engine/json_util.h"
#include "lookalike/search_request.h"
#include "lookalike/search_result.h"
#include "lookalike/status.h"

namespace lookalike::engine {

class Index;

/// Accumulates every requested aggregation over one or more indices as mergeable partials
/// (lookalike/search_result.h); the server renders them.
class AggCollector {
 public:
  explicit AggCollector(const std::vector<AggRequest>& requests);
  /// Adds the documents of `index` set in `docs` (data lock held by the caller).
  Status Collect(const Index& index, const Bitset& docs);
  /// The partials, one per request in request order.
  std::vector<AggregationPartial> Take() { return std::move(states_); }

 private:
  const std::vector<AggRequest>& requests_;
  std::vector<AggregationPartial> states_;
};

}  // namespace lookalike::engine
