// Query trees → executable plans. A QueryNode (include/lookalike/query_dsl.h, parsed from JSON
// by query_parse.h) knows no mapping; CompileQuery binds it to one index (field types come from
// its mapping) as a Query, whose Eval turns it into the set of matching documents with their
// scores.
//
// Scoring follows Elasticsearch where it matters to clients: constant 1.0 (times boost) for
// term-level queries and match_all, 0 for pure filters, a simple idf sum for match, the
// documented vector similarity scores for knn, sums across bool must/should clauses.
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
#include "engine/query_parse.h"
#include "lookalike/query_dsl.h"

namespace lookalike::engine {

/// Matching documents and their scores.
struct Matches {
  Bitset bits;
  enum class Mode { kConstant, kDense, kSparse } mode = Mode::kConstant;
  float constant = 1.0f;
  std::vector<float> dense;                 // indexed by docnum (kDense)
  std::unordered_map<uint32_t, float> sparse;  // kSparse
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

/// Binds `node` to `index`. illegal_argument_exception when a knn node names a field that is not
/// a vector field or its vector has the wrong dimension or is invalid for the metric;
/// parsing_exception when a range bound does not parse as the field's numeric type.
Result<std::unique_ptr<Query>> CompileQuery(const QueryNode& node, const Index& index);

/// ParseQueryNode (query_parse.h) then CompileQuery.
Result<std::unique_ptr<Query>> ParseQuery(element q, const Index& index);

/// Clauses of a query tree, counted like Lucene's indices.query.bool.max_clause_count: every
/// query nested in another one (bool lists, constant_score and knn filters) is one clause, the
/// root is none. `knn_section` counts a top-level "knn" section (each entry one clause). Stops
/// once the count exceeds `stop_above`, so a huge request costs no more than the limit.
size_t CountQueryClauses(element query, size_t stop_above);
size_t CountKnnSectionClauses(element knn_section, size_t stop_above);

/// search_phase_execution_exception (400) naming the limit, as Elasticsearch's too_many_clauses.
Status TooManyClauses(size_t max_clause_count);

/// The Elasticsearch 8 top-level "knn" section (object or array of objects): ParseTopLevelKnnNode
/// then CompileQuery.
Result<std::unique_ptr<Query>> ParseTopLevelKnn(element knn, const Index& index,
                                                int64_t default_k);

}  // namespace lookalike::engine
