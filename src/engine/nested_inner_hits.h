// inner_hits of knn searches on nested vector fields (lookalike/query_dsl.h
// NestedInnerHitsRequest): for each hit of the page, which of its nested objects' vectors match
// the query, with their positions (_nested.offset), scores and objects.
//
// Why the scores are computed again at fetch time instead of being carried from the vector
// search: the search keeps each document's best vector only (k counts documents), the index may
// compare compressed codes, and an inner hit needs every vector of its document (Elasticsearch,
// OpenSearch expand_nested_docs). Reading the page's stored vectors and scoring them exactly in
// float32 costs one document read per hit and gives the same answer on every node of a cluster
// (a document lives on one shard, which fills its inner hits before they cross the wire).
//
// Thread safety: the functions take each index's data_mu shared while they read the mapping.
#pragma once

#include <memory>
#include <vector>

#include "engine/index.h"
#include "lookalike/search_request.h"
#include "lookalike/search_result.h"
#include "storage/doc_store.h"

namespace lookalike::engine {

/// The knn nodes of `req` that carry inner_hits, in request order: the query tree first (depth
/// first, bool clauses in must, filter, should, must_not order), then the knn section.
std::vector<const KnnNode*> NestedInnerHitsNodes(const SearchRequest& req);

/// Checks the nested inner_hits of `nodes` (NestedInnerHitsNodes) and every knn's score_avg
/// against the targets before anything is searched: illegal_argument_exception for inner_hits
/// or expand_nested_docs on a vector field that is not under a nested object, a negative
/// size/from, from + size above `window` (the smallest index.max_inner_result_window), two
/// entries with one name, and nested inner_hits together with collapse.inner_hits.
Status CheckNestedInnerHits(const std::vector<const KnnNode*>& nodes, const SearchRequest& req,
                            const std::vector<std::shared_ptr<Index>>& targets, int64_t window);

/// Appends one InnerHits entry per node to hit->inner_hits: the document's nested objects whose
/// vector of node->field exists, scored against node->vector, best first (ties by offset), the
/// entry's page of them. A document without such vectors (or whose number was reused since it
/// matched: the stored id differs from hit->id) gets an empty entry.
void FillNestedInnerHits(const storage::DocStore& store, Index& index, uint32_t doc,
                         const std::vector<const KnnNode*>& nodes, DocumentHit* hit);

/// The score of every vector of nested field `field` of document `doc`, by ordinal (the labels'
/// order), from the vector index's float32 copies; for expand_nested_docs with score_mode avg.
/// Needs data_mu (shared). Empty when the index keeps no float32 vectors.
std::vector<float> NestedVectorScores(const VectorField& field, uint32_t doc, const float* query,
                                      float boost);

}  // namespace lookalike::engine
