// Graph construction: level draw, greedy descent, neighbour selection (the HNSW heuristic) and
// linking with back-link pruning. Inserts run concurrently; see the locking notes in hnsw_index.h.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "index/hnsw/hnsw_index.h"
#include "index/hnsw/search_level_inl.h"

namespace lookalike::hnsw {
namespace {
uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
inline void StoreLink(uint32_t* links, uint32_t j, uint32_t v) {
  std::atomic_ref<uint32_t>(links[j]).store(v, std::memory_order_relaxed);
}
inline void StoreCount(uint32_t* links, uint32_t v) {
  std::atomic_ref<uint32_t>(links[0]).store(v, std::memory_order_release);
}
}  // namespace

int HnswIndex::RandomLevel(uint32_t node) const {
  uint64_t draw = level_draws_.fetch_add(1, std::memory_order_relaxed);
  uint64_t r = SplitMix64(params_.seed ^ SplitMix64(draw));
  double u = (double((r >> 11) + 1)) * (1.0 / 9007199254740993.0);  // (0, 1]
  int level = static_cast<int>(-std::log(u) * level_mult_);
  return std::min(level, kMaxLevel);
}

// Never moves onto a node that is still being inserted (kInserting, kDeletedInserting): its links
// are written from the top level down, so below the level it is linking its lists hold only the
// back-links of racing inserts, and a level-0 search started there sees that handful of nodes
// instead of the graph (see LowerLevelEntry). The check costs one state load per improving step.
uint32_t HnswIndex::GreedyDescend(SearchContext* ctx, uint32_t ep, int from_level,
                                  int to_level) const {
  float best = quant_->Distance(ctx->pq, Code(ep));
  for (int level = from_level; level > to_level; --level) {
    for (bool changed = true; changed;) {
      changed = false;
      const uint32_t* links = Links(ep, level);
      uint32_t cnt = LoadCount(links);
      for (uint32_t j = 0; j < cnt; ++j) {
        ctx->ids[j] = LoadLink(links, j + 1);
        ctx->ptrs[j] = Code(ctx->ids[j]);
      }
      quant_->Distances(ctx->pq, ctx->ptrs.data(), cnt, ctx->dists.data());
      for (uint32_t j = 0; j < cnt; ++j) {
        if (ctx->dists[j] < best && FullyLinked(StateOf(ctx->ids[j]))) {
          best = ctx->dists[j];
          ep = ctx->ids[j];
          changed = true;
        }
      }
    }
  }
  return ep;
}

// The HNSW heuristic: walk candidates closest first and keep one only if it is closer to the base
// than to every neighbour kept so far (diversifies directions). `cands` must be sorted ascending.
// Pairwise distances use the float32 vectors: measured faster than preparing every candidate as
// a code query (a Prepare per candidate costs about as much as the distances it saves).
void HnswIndex::SelectNeighbors(std::vector<Cand>* cands, int cap, std::vector<Cand>* out,
                                SearchContext* ctx) const {
  out->clear();
  if (cands->size() <= size_t(cap)) {
    *out = *cands;
    return;
  }
  auto& pruned = ctx->rejected;
  pruned.clear();
  for (const Cand& c : *cands) {
    if (out->size() >= size_t(cap)) break;
    const float* cv = Vec(c.id);
    bool good = true;
    for (const Cand& s : *out) {
      if (ExactDistance(cv, Vec(s.id)) < c.dist) {
        good = false;
        break;
      }
    }
    if (good) {
      out->push_back(c);
    } else if (pruned.size() < size_t(cap)) {
      pruned.push_back(c);
    }
  }
  // On data of low intrinsic dimension (points near a line, near-duplicates) the heuristic keeps
  // as few as two links, and racing inserts then build interleaved chains that a beam cannot
  // cross. Keep at least half the capacity, refilled with the closest pruned candidates.
  const size_t floor = size_t(cap) / 2;
  for (size_t i = 0; i < pruned.size() && out->size() < floor; ++i) out->push_back(pruned[i]);
}

void HnswIndex::AddBackLink(uint32_t target, uint32_t node, float dist, int level,
                            SearchContext* ctx) {
  std::lock_guard lock(NodeLock(target));
  uint32_t* links = Links(target, level);
  uint32_t cnt = links[0];
  int cap = Cap(level);
  for (uint32_t j = 1; j <= cnt; ++j) {
    if (links[j] == node) return;
  }
  if (cnt < uint32_t(cap)) {
    StoreLink(links, cnt + 1, node);
    StoreCount(links, cnt + 1);
    return;
  }
  // Full: re-select among the old links and the new node, by code distance from the target
  // (one Prepare, then the cheap code kernel; exact float32 for the coarse 1-bit codes).
  auto& prune = ctx->prune;
  prune.clear();
  if (params_.code == CodeType::kBinary) {
    const float* tv = Vec(target);
    for (uint32_t j = 1; j <= cnt; ++j) prune.push_back({ExactDistance(tv, Vec(links[j])), links[j]});
    prune.push_back({ExactDistance(tv, Vec(node)), node});
  } else {
    quant_->Prepare(Vec(target), &ctx->pq_aux);
    for (uint32_t j = 1; j <= cnt; ++j) ctx->ptrs[j - 1] = Code(links[j]);
    ctx->ptrs[cnt] = Code(node);
    quant_->Distances(ctx->pq_aux, ctx->ptrs.data(), cnt + 1, ctx->dists.data());
    for (uint32_t j = 1; j <= cnt; ++j) prune.push_back({ctx->dists[j - 1], links[j]});
    prune.push_back({ctx->dists[cnt], node});
  }
  std::sort(prune.begin(), prune.end(), [](const Cand& a, const Cand& b) { return a.dist < b.dist; });
  SelectNeighbors(&prune, cap, &ctx->pruned, ctx);
  uint32_t out = 0;
  for (const Cand& c : ctx->pruned) StoreLink(links, ++out, c.id);
  StoreCount(links, out);
}

void HnswIndex::Connect(uint32_t node, int level, const std::vector<Cand>& neighbors,
                        SearchContext* ctx) {
  {
    std::lock_guard lock(NodeLock(node));
    uint32_t* links = Links(node, level);
    uint32_t cnt = links[0];
    if (cnt == 0) {
      uint32_t out = 0;
      for (const Cand& c : neighbors) StoreLink(links, ++out, c.id);
      StoreCount(links, out);
    } else {
      // A racing insert reached this node through a level above (already linked) and back-linked
      // to it here before this list was written. Overwriting would drop that link and could leave
      // the racing node with no way in, so merge; re-select if the union is over capacity.
      auto& merged = ctx->prune;
      merged.assign(neighbors.begin(), neighbors.end());
      for (uint32_t j = 1; j <= cnt; ++j) {
        uint32_t id = links[j];
        bool dup = false;
        for (const Cand& c : neighbors) dup |= c.id == id;
        if (!dup) merged.push_back({0.0f, id});
      }
      int cap = Cap(level);
      if (merged.size() > size_t(cap)) {
        const float* nv = Vec(node);
        for (Cand& c : merged) c.dist = ExactDistance(nv, Vec(c.id));
        std::sort(merged.begin(), merged.end(),
                  [](const Cand& a, const Cand& b) { return a.dist < b.dist; });
        SelectNeighbors(&merged, cap, &ctx->pruned, ctx);
      } else {
        ctx->pruned = merged;
      }
      uint32_t out = 0;
      for (const Cand& c : ctx->pruned) StoreLink(links, ++out, c.id);
      StoreCount(links, out);
    }
  }
  for (const Cand& c : neighbors) AddBackLink(c.id, node, c.dist, level, ctx);
}

// The entry for the search one level down: the closest of `sorted` (ascending) that is fully
// linked. A racing insert that is not FullyLinked yet is linked on this level but maybe not
// below it: starting there, the beam found only the few nodes that had back-linked to it (4 of
// 440 on a line), the new node linked into that island, the next upper-level node inserted
// nearby descended into it again, and a chain of such nodes (labels 186, 191, 202, 210 in
// HnswLine.ParallelReplaceFindsEveryPoint) ended up with links 50 positions away and no in-links
// from its neighbours on the line. Falls back to the closest when every candidate is inserting.
uint32_t HnswIndex::LowerLevelEntry(const std::vector<Cand>& sorted) const {
  for (const Cand& c : sorted) {
    if (FullyLinked(StateOf(c.id))) return c.id;
  }
  return sorted.front().id;
}

void HnswIndex::InsertNode(uint32_t node, SearchContext* ctx) {
  const float* v = Vec(node);
  if (!codes_in_floats_) quant_->Encode(v, codes_.data() + size_t{node} * code_size_);
  int level = RandomLevel(node);
  {
    std::lock_guard lock(NodeLock(node));
    levels_[node] = uint8_t(level);
    upper_[node] = level > 0 ? std::make_unique<uint32_t[]>(level * slot_up_) : nullptr;
    StoreCount(Links0(node), 0);
  }
  quant_->Prepare(v, &ctx->pq);

  std::unique_lock top_lock(entry_mu_, std::defer_lock);
  uint64_t e = entry_.load(std::memory_order_acquire);
  if (e == ~uint64_t{0} || level > int(e >> 32)) {
    top_lock.lock();  // this node may become the entry point: hold it until fully linked
    e = entry_.load(std::memory_order_acquire);
  }
  if (e != ~uint64_t{0}) {
    int max_level = int(e >> 32);
    uint32_t ep = uint32_t(e);
    if (level < max_level) ep = GreedyDescend(ctx, ep, max_level, level);
    auto admit = [this, node](uint32_t id) {
      uint8_t s = StateOf(id);
      return id != node && (s == kLive || s == kInserting);
    };
    auto admit_tombstones = [node](uint32_t id) { return id != node; };
    for (int l = std::min(level, max_level); l >= 0; --l) {
      SearchLevel(ctx, ep, l, size_t(params_.ef_construction), admit);
      // Everything reachable is tombstoned (mass delete): link to tombstones rather than leave
      // this node unreachable; Compact later swaps them for their live neighbours.
      if (ctx->top.empty()) {
        SearchLevel(ctx, ep, l, size_t(params_.ef_construction), admit_tombstones);
      }
      if (ctx->top.empty()) continue;
      auto& sorted = ctx->scratch;
      sorted.assign(ctx->top.begin(), ctx->top.end());
      std::sort(sorted.begin(), sorted.end(),
                [](const Cand& a, const Cand& b) { return a.dist < b.dist; });
      ep = LowerLevelEntry(sorted);
      SelectNeighbors(&sorted, params_.m, &ctx->selected, ctx);
      Connect(node, l, ctx->selected, ctx);
    }
  }
  if (e == ~uint64_t{0} || level > int(e >> 32)) {
    entry_.store((uint64_t(level) << 32) | node, std::memory_order_release);
  }
  // Publish, unless a concurrent Remove/replace of this label tombstoned the node meanwhile
  // (MarkDeleted made it kDeletedInserting; nothing changes it after that but this line).
  uint8_t expected = kInserting;
  if (!std::atomic_ref<uint8_t>(states_[node])
           .compare_exchange_strong(expected, kLive, std::memory_order_release,
                                    std::memory_order_relaxed)) {
    SetState(node, kDeleted);
  }
}

}  // namespace lookalike::hnsw
