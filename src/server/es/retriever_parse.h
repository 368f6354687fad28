// Elasticsearch's "retriever" search key (JSON) → Retriever trees (lookalike/search_request.h).
//
//   {"standard": {"query": Q, "filter": Q | [Q…], "sort": …, "min_score": S}}
//   {"knn": {"field", "query_vector" | "query_vector_builder", "k", "num_candidates",
//            "filter", "similarity", "rescore_vector"}}            (a top-level knn entry)
//   {"rrf": {"retrievers": [R…], "rank_window_size": N, "rank_constant": C}}
//   {"linear": {"retrievers": [{"retriever": R, "weight": W, "normalizer": "minmax"|"l2_norm"|
//               "none"} | R …], "rank_window_size": N, "normalizer": default for the children}}
//   {"diversify": {"type": "mmr", "field": F, "retriever": R, "lambda": L, "size": N,
//                  "rank_window_size": N, "query_vector": [f…]}}
//
// Errors: parsing_exception for an unknown retriever or key and a value of the wrong JSON kind,
// illegal_argument_exception for a value out of range (a negative weight, lambda outside
// [0, 1], rank_constant < 1, fewer than two children of rrf/linear). Nesting deeper than 16
// retrievers is refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/json_util.h"
#include "lookalike/search_request.h"
#include "server/es/search_pipeline.h"

namespace lookalike::es {

/// The OpenSearch `hybrid` query (the body's top-level "query": {"hybrid": {"queries": [Q…],
/// "filter": Q, "pagination_depth": N}}) as a retriever: each query a standard leaf (with the
/// filter), fused as `pipeline` says (search_pipeline.h: a linear node normalising and
/// combining the scores, or rrf). `window` is the request's from + size (each query
/// contributes at least that many hits).
Result<Retriever> ParseHybridQuery(engine::element hybrid, const SearchPipeline& pipeline,
                                   int64_t window, size_t max_clause_count, size_t* clauses);

/// One entry of "sort" (the search codec's parser, shared).
using SortEntryParser = Status (*)(engine::element entry, std::vector<SortKey>* out);

/// The "retriever" object. `default_k` is the request's size (a knn leaf without "k");
/// the query clauses of every leaf are added to `*clauses` (counted as for "query").
Result<Retriever> ParseRetriever(engine::element e, int64_t default_k, size_t max_clause_count,
                                 SortEntryParser parse_sort, size_t* clauses);

}  // namespace lookalike::es
