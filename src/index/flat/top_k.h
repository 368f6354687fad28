// A bounded max-heap of the k best hits so far ("best" = smaller distance, then smaller label,
// so results are deterministic under ties). Internal to src/index/flat.
#pragma once

#include <algorithm>
#include <limits>
#include <cstddef>
#include <vector>

#include "lookalike/vector_index.h"

namespace lookalike::flat {

inline bool HitLess(const SearchHit& a, const SearchHit& b) {
  return a.distance < b.distance || (a.distance == b.distance && a.label < b.label);
}

/// Offers `hit` to a heap holding at most k hits (the worst on top).
inline void PushTopK(std::vector<SearchHit>* heap, size_t k, const SearchHit& hit) {
  if (heap->size() < k) {
    heap->push_back(hit);
    std::push_heap(heap->begin(), heap->end(), HitLess);
  } else if (HitLess(hit, heap->front())) {
    std::pop_heap(heap->begin(), heap->end(), HitLess);
    heap->back() = hit;
    std::push_heap(heap->begin(), heap->end(), HitLess);
  }
}

/// The distance a new hit must beat to enter a full heap (+inf while not full).
inline float HeapBound(const std::vector<SearchHit>& heap, size_t k) {
  return heap.size() < k ? std::numeric_limits<float>::infinity() : heap.front().distance;
}

/// Turns a heap into a list sorted closest first.
inline void SortHeap(std::vector<SearchHit>* heap) {
  std::sort_heap(heap->begin(), heap->end(), HitLess);
}

/// Merges several heaps into the k best hits, closest first.
inline void MergeTopK(const std::vector<std::vector<SearchHit>>& parts, size_t k,
                      std::vector<SearchHit>* out) {
  out->clear();
  for (const auto& p : parts) out->insert(out->end(), p.begin(), p.end());
  const size_t keep = std::min(k, out->size());
  std::partial_sort(out->begin(), out->begin() + keep, out->end(), HitLess);
  out->resize(keep);
}

}  // namespace lookalike::flat
