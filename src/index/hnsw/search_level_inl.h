// The beam search over one graph level, shared by inserts (hnsw_graph.cc) and queries
// (hnsw_search.cc). Included only by those two files.
#pragma once

#include <algorithm>
#include <atomic>
#include <limits>

#include "index/hnsw/hnsw_index.h"

namespace lookalike::hnsw {

inline uint32_t LoadCount(const uint32_t* links) {
  return std::atomic_ref<uint32_t>(const_cast<uint32_t&>(links[0])).load(std::memory_order_acquire);
}
inline uint32_t LoadLink(const uint32_t* links, uint32_t j) {
  return std::atomic_ref<uint32_t>(const_cast<uint32_t&>(links[j])).load(std::memory_order_relaxed);
}

// Prefetches the first cache lines of a code; the hardware prefetcher streams the rest.
inline void PrefetchCode(const uint8_t* p, size_t bytes) {
  for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(p + o);
}

// hnswlib-style beam search: `cand` is the frontier (min-heap), `top` the best `ef` admitted
// nodes (max-heap). Non-admitted nodes (tombstones, filtered out) still extend the frontier, which
// is what makes filtered search and search after deletes keep their recall.
template <typename Admit>
void HnswIndex::SearchLevel(SearchContext* ctx, uint32_t ep, int level, size_t ef,
                            Admit admit) const {
  ctx->NewSearch(capacity_);
  auto& cand = ctx->cand;
  auto& top = ctx->top;
  float ep_dist = quant_->Distance(ctx->pq, Code(ep));
  ctx->Visit(ep);
  cand.push_back({ep_dist, ep});
  if (admit(ep)) top.push_back({ep_dist, ep});
  float bound = top.empty() ? std::numeric_limits<float>::infinity() : ep_dist;
  uint32_t* ids = ctx->ids.data();
  const uint8_t** ptrs = ctx->ptrs.data();
  float* dists = ctx->dists.data();
  while (!cand.empty()) {
    Cand c = cand.front();
    if (c.dist > bound && top.size() >= ef) break;
    std::pop_heap(cand.begin(), cand.end(), CandGreater());
    cand.pop_back();
    const uint32_t* links = Links(c.id, level);
    if (!cand.empty()) __builtin_prefetch(Links(cand.front().id, level));  // likely next
    uint32_t cnt = LoadCount(links);
    size_t n = 0;
    for (uint32_t j = 1; j <= cnt; ++j) {
      uint32_t id = LoadLink(links, j);
      if (!ctx->Visit(id)) continue;
      ids[n] = id;
      ptrs[n] = Code(id);
      ++n;
    }
    if (n == 0) continue;
    // Distances in groups of 4, the next group's codes prefetched while this one is scored.
    constexpr size_t kGroup = 4;
    for (size_t j = 0; j < std::min(n, kGroup); ++j) PrefetchCode(ptrs[j], code_size_);
    for (size_t g = 0; g < n; g += kGroup) {
      size_t end = std::min(n, g + kGroup);
      for (size_t j = end; j < std::min(n, end + kGroup); ++j) PrefetchCode(ptrs[j], code_size_);
      quant_->Distances(ctx->pq, ptrs + g, end - g, dists + g);
    }
    for (size_t j = 0; j < n; ++j) {
      float d = dists[j];
      if (top.size() < ef || d < bound) {
        cand.push_back({d, ids[j]});
        std::push_heap(cand.begin(), cand.end(), CandGreater());
        if (admit(ids[j])) {
          top.push_back({d, ids[j]});
          std::push_heap(top.begin(), top.end(), CandLess());
          if (top.size() > ef) {
            std::pop_heap(top.begin(), top.end(), CandLess());
            top.pop_back();
          }
          bound = top.front().dist;
        }
      }
    }
  }
}

}  // namespace lookalike::hnsw
