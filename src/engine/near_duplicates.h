// The grouping behind Engine::FindNearDuplicates (lookalike/near_duplicates.h says what a group
// is): neighbour searches on one vector index, union-find over the pairs ≥ S, complete-linkage
// clusters inside each connected component. Knows labels and scores only; the engine maps
// labels to document ids and drops documents deleted meanwhile.
//
// Thread safety: reads the vector index only (its Search and GetVector are thread-safe), so it
// runs without the index's data lock while writes go on; labels added or removed meanwhile are
// skipped.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lookalike/near_duplicates.h"
#include "lookalike/status.h"
#include "lookalike/vector_index.h"

namespace lookalike::engine {

struct LabelGroup {
  std::vector<uint64_t> labels;  // ascending
  float min_score = 0;           // smallest pairwise score of the members
};

struct LabelGroups {
  std::vector<LabelGroup> groups;  // unordered
  size_t pairs = 0;                // distinct pairs ≥ min_score found by the neighbour searches
};

/// Groups of `labels` (ascending, unique; labels of `index` outside it are ignored) whose
/// vectors score ≥ min_score against each other, `score` turning an index distance into the
/// field's knn _score. InvalidArgument/kInvalidValue when the options' memory bounds
/// (max_pairs, max_component) are exceeded.
Result<LabelGroups> GroupNearDuplicateLabels(const VectorIndex& index,
                                             std::span<const uint64_t> labels,
                                             float (*score)(float), float min_score,
                                             const NearDuplicateOptions& options);

}  // namespace lookalike::engine
