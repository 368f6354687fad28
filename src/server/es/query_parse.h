// The Elasticsearch/OpenSearch query DSL (JSON) → QueryNode trees (include/lookalike/query_dsl.h).
//
// Syntax only: nothing here looks at a mapping, so one parse serves every index a search names.
// Errors are the ones Elasticsearch gives for malformed clauses: parsing_exception for an
// unknown query type, a missing or misplaced key or a value of the wrong JSON kind;
// illegal_argument_exception for a value out of range (k, num_candidates, non-finite vector
// components). Field-dependent checks (is it a vector field, its dimension, does a range bound
// parse as the field's type) happen when the engine compiles the tree against an index
// (src/engine/query.h).
#pragma once

#include <cstdint>

#include "engine/json_util.h"
#include "lookalike/query_dsl.h"

namespace lookalike::es {

using engine::element;

/// A query object ({"match_all":{}}, {"bool":{...}}, {"knn":{FIELD:{...}}}, ...).
Result<QueryNode> ParseQueryNode(element q);

/// The body of a "nested" query ({"path": P, "query": {...}, "score_mode": ...,
/// "inner_hits": {...}}). Only the form nested knn search uses is served: a knn query on a
/// vector field under P, score_mode max, avg or absent (avg = max unless the knn sets
/// expand_nested_docs); anything else is refused with 400 naming what is missing, never
/// flattened silently (nested_query_parse.cc).
Result<QueryNode> ParseNestedQuery(element body);

/// A nested knn's "inner_hits" object (NestedInnerHitsRequest; all_vectors left true): name,
/// from, size, _source, fields; highlight, explain, track_scores, version, seq_no_primary_term,
/// stored_fields, docvalue_fields, script_fields and ignore_unmapped are accepted and change
/// nothing; any other key (sort included: the order is by score) is a parsing_exception.
Result<NestedInnerHitsRequest> ParseNestedInnerHits(element e);

/// "_source" as a search body writes it: a boolean, a path or a list of paths, or
/// {"includes": …, "excludes": …} (search_codec.cc).
Status ParseSourceFilter(element e, SourceFilter* f);

/// The Elasticsearch 8 top-level "knn" section: one object (a KnnNode) or an array of them (a
/// bool of should clauses). `default_k` is the request's size, used when an entry has no "k".
Result<QueryNode> ParseTopLevelKnnNode(element knn, int64_t default_k);

/// Clauses of a query object, counted like Lucene's indices.query.bool.max_clause_count: every
/// query nested in another one (bool lists, constant_score and knn filters) is one clause, the
/// root is none. `CountKnnSectionClauses` counts a top-level "knn" section (each entry of an
/// array one clause). Both count the JSON before any tree is built and stop once the count
/// exceeds `stop_above`, so a huge request costs no more than the limit (query_limits.cc).
size_t CountQueryClauses(element query, size_t stop_above);
size_t CountKnnSectionClauses(element knn_section, size_t stop_above);

/// search_phase_execution_exception (400) naming the limit, as Elasticsearch's too_many_clauses.
Status TooManyClauses(size_t max_clause_count);

}  // namespace lookalike::es
