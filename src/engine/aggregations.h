// Search aggregations over the documents a query matched (for a knn query: its k hits):
// `terms` buckets on keyword, boolean and numeric fields, and the metrics min, max, avg, sum and
// value_count on numeric fields. Sub-aggregations and other types are refused with a clear
// error rather than ignored.
//
//   "aggs": {"by_cat": {"terms": {"field": "category", "size": 5}},
//            "mean_price": {"avg": {"field": "price"}}}
//   → "aggregations": {"by_cat": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 3,
//                                 "buckets": [{"key": "shoes", "doc_count": 12}, …]},
//                      "mean_price": {"value": 41.5}}
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/field_store.h"
#include "engine/json_util.h"
#include "lookalike/search_result.h"
#include "lookalike/status.h"

namespace lookalike::engine {

class Index;

struct AggRequest {
  using Kind = AggregationPartial::Kind;
  std::string name;
  Kind kind = Kind::kTerms;
  std::string field;
  int64_t size = 10;  // terms: buckets returned
};

/// Parses the value of "aggs"/"aggregations". illegal_argument_exception for unsupported types,
/// sub-aggregations or a missing field; parsing_exception for malformed JSON shapes.
Status ParseAggregations(element aggs, std::vector<AggRequest>* out);

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
