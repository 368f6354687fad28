// The Elasticsearch/OpenSearch query DSL (JSON) → QueryNode trees (include/lookalike/query_dsl.h).
//
// Syntax only: nothing here looks at a mapping, so one parse serves every index a search names.
// Errors are the ones Elasticsearch gives for malformed clauses: parsing_exception for an
// unknown query type, a missing or misplaced key or a value of the wrong JSON kind;
// illegal_argument_exception for a value out of range (k, num_candidates, non-finite vector
// components). Field-dependent checks (is it a vector field, its dimension, does a range bound
// parse as the field's type) happen when the tree is compiled against an index (query.h).
#pragma once

#include <cstdint>

#include "engine/json_util.h"
#include "lookalike/query_dsl.h"

namespace lookalike::engine {

/// A query object ({"match_all":{}}, {"bool":{...}}, {"knn":{FIELD:{...}}}, ...).
Result<QueryNode> ParseQueryNode(element q);

/// The Elasticsearch 8 top-level "knn" section: one object (a KnnNode) or an array of them (a
/// bool of should clauses). `default_k` is the request's size, used when an entry has no "k".
Result<QueryNode> ParseTopLevelKnnNode(element knn, int64_t default_k);

}  // namespace lookalike::engine
