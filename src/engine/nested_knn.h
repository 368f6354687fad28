// kNN over a nested vector field: many vectors per document, k counting documents, each
// document scored by its best vector (score_mode max). See docs/design/engine.md "Nested vector
// fields".
//
// Thread safety: called with the index's data_mu held shared, like every query evaluation.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/field_store.h"
#include "engine/index.h"
#include "lookalike/vector_index.h"

namespace lookalike::engine {

/// One document found by a nested search: its best distance and the ordinal of that vector.
struct NestedDocHit {
  uint32_t doc = 0;
  float distance = 0;
  uint32_t ordinal = 0;
};

/// Searches nested field `field` for the params.k closest documents (at most), closest first.
/// `allowed` (null = every live document) filters by parent document; params.filter is
/// ignored (replaced by a filter on the parent document, which lists the labels of up to 4096
/// passing documents so the index can scan them exactly); params.k counts documents: the
/// vector index is asked for more vectors, doubling until k distinct documents are found or
/// the index has no more (fewer vectors came back than asked, or the 10 000 cap was reached).
/// InvalidArgument when the vector index refuses the query.
Status SearchNestedDocs(const Index& index, const VectorField& field, const float* query,
                        SearchParams params, const Bitset* allowed,
                        std::vector<NestedDocHit>* out);

}  // namespace lookalike::engine
