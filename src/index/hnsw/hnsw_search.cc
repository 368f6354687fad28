// Queries: parameter checks, the filtered-search strategy (exact scan over few matching labels,
// else filter-aware traversal), graph search over codes and the float32 rerank.
#include <algorithm>
#include <cmath>

#include "index/hnsw/hnsw_index.h"
#include "index/hnsw/search_level_inl.h"

namespace lookalike::hnsw {
namespace {
// A filter passing at most this many labels (or this share of the index) is answered by an
// exact scan over the matching vectors: cheaper than a traversal that must skip most nodes, and
// exact.
constexpr int64_t kExactScanLabels = 2048;
constexpr double kExactScanShare = 0.02;
// The widest beam a query may ask for.
constexpr size_t kMaxEf = 100000;
// The result count of a radial search's first round (SearchRadius).
constexpr size_t kRadialFirstK = 32;

bool ByDistance(const Cand& a, const Cand& b) {
  return a.dist < b.dist || (a.dist == b.dist && a.id < b.id);
}
}  // namespace

Status HnswIndex::Search(const float* query, const SearchParams& params,
                         std::vector<SearchHit>* out) const {
  out->clear();
  if (params.k == 0 || params.k > 10000) {
    return Status::InvalidArgument("k must be between 1 and 10000, got " +
                                   std::to_string(params.k));
  }
  const bool radial = !(std::isinf(params.max_distance) && params.max_distance > 0);
  // A radial search grows its beam from ef_search (SearchRadius): any ef_search is allowed.
  if (params.ef_search < 0 ||
      (!radial && params.ef_search > 0 && size_t(params.ef_search) < params.k)) {
    return Status::InvalidArgument("ef_search (" + std::to_string(params.ef_search) +
                                   ") must be at least k (" + std::to_string(params.k) + ")");
  }
  if (!(params.rerank_factor >= 0.0f) || params.rerank_factor > 1000.0f) {
    return Status::InvalidArgument("rerank_factor must be 0 (index default) or between 1 and 1000");
  }
  if (std::isnan(params.max_distance)) {
    return Status::InvalidArgument("max_distance must be a number");
  }
  LOOKALIKE_RETURN_IF_ERROR(ValidateVector(query, dim_, dim_, metric_));
  size_t k = params.k;
  size_t ef = params.ef_search > 0 ? size_t(params.ef_search)
                                   : std::max(size_t(params_.ef_search), radial ? 0 : k);
  float rerank = params.rerank_factor > 0 ? std::max(1.0f, params.rerank_factor)
                                          : params_.rerank_factor;
  if (!params.rerank) {
    rerank = 0;
  } else if (params.rerank_factor > 0 && !codes_in_floats_) {
    // An explicit oversample asks for that many code candidates: the beam must hold them.
    ef = std::max(ef, size_t(std::ceil(double(k) * rerank)));
  }
  ef = std::min(ef, kMaxEf);
  GraphQuery q{k, ef, rerank, params.filter, params.max_distance, 1.0};

  SearchContext* ctx = AcquireContext();
  Normalize(query, ctx->query.data());
  Status st;
  {
    auto lock = ReadLock();
    const LabelFilter* filter = params.filter;
    bool done = false;
    if (filter != nullptr) {
      int64_t count = filter->Count();
      size_t live = live_.load(std::memory_order_relaxed);
      if (count == 0) {
        done = true;
      } else if (count > 0 && (count <= kExactScanLabels || double(count) <= kExactScanShare * live)) {
        ctx->labels.clear();
        if (filter->Enumerate(&ctx->labels)) {
          st = SearchExact(ctx, k, params.max_distance, ctx->labels, out);
          done = true;
        }
      }
      if (!done && count > 0 && live > 0) {
        // Few passing nodes per expansion: widen the beam so the admitted set stays large.
        double share = std::min(1.0, double(count) / double(live));
        q.ef_scale = 1.0 / std::sqrt(share);
        q.ef = std::min<size_t>(std::max(ef, size_t(double(ef) * q.ef_scale)), kMaxEf);
      }
    }
    if (!done) st = radial ? SearchRadius(ctx, q, out) : SearchGraph(ctx, q, out);
  }
  ReleaseContext(ctx);
  return st;
}

Status HnswIndex::SearchRadius(SearchContext* ctx, GraphQuery q,
                               std::vector<SearchHit>* out) const {
  const size_t cap = q.k;
  const size_t base_ef = q.ef;
  // Most radii hold few vectors: start small, then grow 4x (the repeated work stays below a
  // third of the last round's).
  size_t round_k = std::min(cap, kRadialFirstK);
  for (;;) {
    q.k = round_k;
    // The beam of a top-round_k search, widened like a filtered search, and holding every
    // candidate the rerank looks at.
    const double per_k = std::max(2.0 * q.ef_scale, double(std::max(1.0f, q.rerank)));
    q.ef = std::min(kMaxEf, std::max(base_ef, size_t(std::ceil(double(round_k) * per_k))));
    LOOKALIKE_RETURN_IF_ERROR(SearchGraph(ctx, q, out));
    // Fewer than round_k within the radius: the closest round_k reached past it (or the graph
    // holds no more admitted vectors), so the radius is exhausted.
    if (out->size() < round_k || round_k == cap) return Status::OK();
    round_k = std::min(cap, round_k * 4);
  }
}

Status HnswIndex::SearchGraph(SearchContext* ctx, const GraphQuery& q,
                              std::vector<SearchHit>* out) const {
  out->clear();
  uint64_t e = entry_.load(std::memory_order_acquire);
  if (e == ~uint64_t{0}) return Status::OK();
  quant_->Prepare(ctx->query.data(), &ctx->pq);
  uint32_t ep = GreedyDescend(ctx, uint32_t(e), int(e >> 32), 0);
  const LabelFilter* filter = q.filter;
  if (filter == nullptr) {
    SearchLevel(ctx, ep, 0, q.ef, [this](uint32_t id) { return StateOf(id) == kLive; });
  } else {
    SearchLevel(ctx, ep, 0, q.ef, [this, filter](uint32_t id) {
      return StateOf(id) == kLive && filter->Contains(labels_[id]);
    });
  }
  const size_t k = q.k;
  auto& top = ctx->top;
  std::sort(top.begin(), top.end(), ByDistance);
  if (!codes_in_floats_ && q.rerank > 0) {
    // Rerank the best k * rerank candidates against the float32 vectors.
    size_t r = std::min(top.size(), std::max(k, size_t(std::ceil(double(k) * q.rerank))));
    top.resize(r);
    for (size_t i = 0; i < r && i < 4; ++i) __builtin_prefetch(Vec(top[i].id));
    for (size_t i = 0; i < r; ++i) {
      if (i + 4 < r) __builtin_prefetch(Vec(top[i + 4].id));
      top[i].dist = ExactDistance(ctx->query.data(), Vec(top[i].id));
    }
    size_t keep = std::min(k, r);
    std::partial_sort(top.begin(), top.begin() + keep, top.end(), ByDistance);
  }
  size_t n = std::min(k, top.size());
  out->reserve(n);
  for (size_t i = 0; i < n && top[i].dist <= q.radius; ++i) {
    out->push_back({labels_[top[i].id], top[i].dist});
  }
  return Status::OK();
}

Status HnswIndex::SearchExact(SearchContext* ctx, size_t k, float radius,
                              const std::vector<uint64_t>& labels,
                              std::vector<SearchHit>* out) const {
  ctx->NewSearch(capacity_);  // the visited list drops duplicate labels
  auto& top = ctx->top;
  {
    std::shared_lock lock(label_mu_);
    for (uint64_t label : labels) {
      auto it = label_to_node_.find(label);
      if (it == label_to_node_.end() || StateOf(it->second) != kLive) continue;
      if (!ctx->Visit(it->second)) continue;
      float d = ExactDistance(ctx->query.data(), Vec(it->second));
      if (d > radius) continue;
      if (top.size() < k || d < top.front().dist) {
        top.push_back({d, it->second});
        std::push_heap(top.begin(), top.end(), CandLess());
        if (top.size() > k) {
          std::pop_heap(top.begin(), top.end(), CandLess());
          top.pop_back();
        }
      }
    }
  }
  std::sort(top.begin(), top.end(), ByDistance);
  out->reserve(top.size());
  for (const Cand& c : top) out->push_back({labels_[c.id], c.dist});
  return Status::OK();
}

}  // namespace lookalike::hnsw
