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

#include "common/json_writer.h"
#include "engine/field_store.h"
#include "engine/json_util.h"
#include "lookalike/status.h"

namespace lookalike::engine {

class Index;

struct AggRequest {
  enum class Kind { kTerms, kMin, kMax, kAvg, kSum, kValueCount };
  std::string name;
  Kind kind = Kind::kTerms;
  std::string field;
  int64_t size = 10;  // terms: buckets returned
};

/// Parses the value of "aggs"/"aggregations". illegal_argument_exception for unsupported types,
/// sub-aggregations or a missing field; parsing_exception for malformed JSON shapes.
Status ParseAggregations(element aggs, std::vector<AggRequest>* out);

/// Accumulates every requested aggregation over one or more indices, then writes them.
class AggCollector {
 public:
  explicit AggCollector(const std::vector<AggRequest>& requests);
  /// Adds the documents of `index` set in `docs` (data lock held by the caller).
  Status Collect(const Index& index, const Bitset& docs);
  /// The value of "aggregations".
  void Write(JsonWriter& w) const;

 private:
  struct State {
    // terms: key → count; numeric keys are kept apart so they sort and print as numbers.
    std::map<std::string, int64_t> term_counts;
    std::map<double, int64_t> number_counts;
    bool boolean_keys = false;
    // metrics
    double min = 0, max = 0, sum = 0;
    int64_t count = 0;
  };
  const std::vector<AggRequest>& requests_;
  std::vector<State> states_;
};

}  // namespace lookalike::engine
