// Per-thread scratch for searches and inserts: an epoch-tagged visited list, the two heaps and
// the batch buffers. Contexts are pooled by the index, so a steady-state search allocates nothing
// (buffers only grow, when the index grows).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "index/quant/quantizer.h"

namespace lookalike::hnsw {

struct Cand {
  float dist;
  uint32_t id;
};
struct CandLess {  // max-heap on distance (the result set: worst on top)
  bool operator()(const Cand& a, const Cand& b) const { return a.dist < b.dist; }
};
struct CandGreater {  // min-heap on distance (the frontier: best on top)
  bool operator()(const Cand& a, const Cand& b) const { return a.dist > b.dist; }
};

struct SearchContext {
  // visited[i] == epoch means node i was seen in the current search. Cleared only on wrap.
  std::vector<uint16_t> visited;
  uint16_t epoch = 0;

  quant::PreparedQuery pq;
  quant::PreparedQuery pq_aux;    // neighbour selection: a candidate as the query
  std::vector<float> query;       // normalised query (cosine) or a copy
  std::vector<Cand> cand;         // frontier, min-heap
  std::vector<Cand> top;          // results, max-heap
  std::vector<uint32_t> ids;      // batch of unvisited neighbours
  std::vector<const uint8_t*> ptrs;
  std::vector<float> dists;
  std::vector<uint32_t> links;    // snapshot of a link list
  std::vector<Cand> scratch;      // neighbour selection
  std::vector<Cand> selected;
  std::vector<Cand> prune;        // back-link pruning (separate: runs while `selected` is in use)
  std::vector<Cand> pruned;
  std::vector<Cand> rejected;     // candidates the selection heuristic passed over
  std::vector<uint64_t> labels;   // filter enumeration

  void NewSearch(size_t nodes) {
    if (visited.size() < nodes) visited.resize(std::max(nodes, visited.size() * 2), 0);
    if (++epoch == 0) {
      std::fill(visited.begin(), visited.end(), 0);
      epoch = 1;
    }
    cand.clear();
    top.clear();
  }
  bool Visit(uint32_t id) {  // true the first time in this search
    if (visited[id] == epoch) return false;
    visited[id] = epoch;
    return true;
  }
};

}  // namespace lookalike::hnsw
