// Query trees → executable plans. A QueryNode (include/lookalike/query_dsl.h, parsed from JSON
// by the codec at the edge, src/server/es/query_parse.h) knows no mapping; CompileQuery binds it to one index (field types come from
// its mapping) as a Query, whose Eval turns it into the set of matching documents with their
// scores.
//
// Scoring follows Elasticsearch where it matters to clients: constant 1.0 (times boost) for
// term-level queries and match_all, 0 for pure filters, BM25 for match / match_phrase /
// multi_match on text fields (engine/text_query.h), the documented vector similarity scores
// for knn, sums across bool must/should clauses.
//
// Thread safety: Parse and Eval need the index's data_mu held (shared is enough).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/field_store.h"
#include "engine/index.h"
#include "engine/json_util.h"
#include "lookalike/query_dsl.h"

namespace lookalike::engine {

/// Matching documents and their scores.
struct Matches {
  Bitset bits;
  enum class Mode { kConstant, kDense, kSparse } mode = Mode::kConstant;
  float constant = 1.0f;
  std::vector<float> dense;                 // indexed by docnum (kDense)
  std::unordered_map<uint32_t, float> sparse;  // kSparse
  // A result cap cut the set (a radial knn that reached its cap): more documents qualify, so
  // a total counted from `bits` is a lower bound (hits.total.relation "gte").
  bool capped = false;
  float Score(uint32_t doc) const {
    switch (mode) {
      case Mode::kConstant: return constant;
      case Mode::kDense: return dense[doc];
      case Mode::kSparse: {
        auto it = sparse.find(doc);
        return it == sparse.end() ? 0.0f : it->second;
      }
    }
    return 0.0f;
  }
};

class Query {
 public:
  virtual ~Query() = default;
  virtual Status Eval(const Index& index, Matches* out) const = 0;
  /// True when the tree contains a knn clause (the response total then counts its k hits).
  virtual bool HasKnn() const { return false; }
};

/// Binds `node` to `index`. kInvalidValue when a knn node names a field that is not
/// a vector field or its vector has the wrong dimension or is invalid for the metric;
/// kMalformedRequest when a range bound does not parse as the field's numeric type. The plan
/// refers to `node` (knn vectors are not copied): the tree must outlive it.
Result<std::unique_ptr<Query>> CompileQuery(const QueryNode& node, const Index& index);

/// The top-level knn entries of a request (SearchRequest::knn, not empty): one entry is that
/// knn query, several a bool of should clauses. Same errors and lifetime rule as CompileQuery.
Result<std::unique_ptr<Query>> CompileKnnSection(const std::vector<KnnNode>& entries,
                                                 const Index& index);

}  // namespace lookalike::engine
