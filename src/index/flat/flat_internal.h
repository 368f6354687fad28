// Shared between the flat index translation units; not part of any public contract.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lookalike/vector_index.h"

namespace lookalike::flat {

constexpr size_t kMaxK = 10000;
constexpr size_t kMaxSlots = 0xffffffffu;  // slots are uint32_t in the label map
// Single-query scans above this many floats (16 MiB) are split across threads.
constexpr size_t kParallelScanFloats = size_t{1} << 22;
constexpr int kMaxScanThreads = 8;

/// k in [1, 10000], ef_search >= k when set, finite rerank_factor >= 0.
Status ValidateSearchParams(const SearchParams& params);
/// threads > 0 as given; 0 (or less) = hardware concurrency.
int ResolveThreads(int threads);

}  // namespace lookalike::flat
