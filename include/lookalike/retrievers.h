// Running Elasticsearch retrievers (SearchRequest::retriever, lookalike/search_request.h): the
// leaves are ordinary searches, run by the caller's `search` — one node's engine, or a cluster
// coordinator's scatter-gather — and the inner nodes combine their top hits here, once, so that
// one node and a cluster rank the same hits the same way.
//
//   standard / knn alone   one search with the request's size, from and everything else.
//   rrf                    each child's top rank_window_size hits; a document scores
//                          Σ 1 / (rank_constant + its rank in each child that found it).
//   linear                 Σ weight · normalised score over the children (or a weighted mean,
//                          Retriever::Combination, for the OpenSearch hybrid query).
//   diversify (mmr)        the child's top rank_window_size hits, thinned to `size` by maximal
//                          marginal relevance; the kept hits keep the child's order and scores.
//
// A document is the same in two children when index and _id are. The answer of a compound
// retriever: the fused order, `from`/`size` applied to it, `_score` the fused score,
// hits.total the distinct documents the children returned (relation eq), the shards of the
// first leaf search (failed shards: the most any leaf saw). Aggregations of a compound
// retriever are computed by one more leaf search over the union of what the leaves match —
// every match of a standard leaf (query and filter), the top k of a knn leaf — as
// Elasticsearch does beside rrf/linear and OpenSearch beside hybrid; a standard leaf with its
// own min_score is then refused (illegal_argument_exception).
//
// Thread safety: free functions without shared state; `search` and `read_vector` are called
// on the caller's thread.
#pragma once

#include <functional>

#include "lookalike/search_request.h"
#include "lookalike/search_result.h"
#include "lookalike/status.h"
#include "lookalike/vector_builders.h"

namespace lookalike {

/// Runs one leaf search (a request without a retriever).
using LeafSearch = std::function<Result<SearchResult>(const SearchRequest&)>;

/// The hits of `request`, whose `retriever` is set. `read_vector` gives the stored vectors the
/// diversify retriever compares (index, id, field; routing null).
/// Errors (illegal_argument_exception): rank_window_size below the request's size or above
/// 10,000, a diversify query_vector whose dimension differs from the stored vectors; those of
/// the leaf searches and of `read_vector` as they are.
Result<SearchResult> RunRetriever(const SearchRequest& request, const LeafSearch& search,
                                  const ExampleVectorReader& read_vector);

}  // namespace lookalike
