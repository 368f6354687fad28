#include "engine/near_duplicates.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <atomic>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <unordered_map>

#include "engine/json_util.h"
#include "index/metric.h"
#include "simd/distance.h"

namespace lookalike::engine {
namespace {

// A pair of positions in `labels` (a < b) and its score.
struct Edge {
  uint32_t a;
  uint32_t b;
  float score;
};

class UnionFind {
 public:
  explicit UnionFind(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0u); }
  uint32_t Find(uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];  // path halving
      x = parent_[x];
    }
    return x;
  }
  void Union(uint32_t a, uint32_t b) {
    a = Find(a), b = Find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<uint32_t> parent_;
};

Status TooManyPairs(float min_score, size_t limit) {
  return IllegalArgument("[min_score] " + std::to_string(min_score) +
                         " is too low for a near-duplicate report: more than " +
                         std::to_string(limit) + " pairs of documents score at least that much");
}

// The exact distance between two stored vectors, as the index computes it (stored vectors are
// already unit length under cosine).
float StoredDistance(const MetricInfo& metric, const float* x, const float* y, size_t dim) {
  const simd::KernelTable& k = simd::Kernels();
  if (metric.kernel == DistanceKernel::kSquaredL2) return k.l2_f32(x, y, dim);
  return metric.dot_offset - k.ip_f32(x, y, dim);
}

// The neighbour searches: every label asks the index for its nearest neighbours and keeps the
// pairs ≥ S. Work is handed out in chunks to `threads` workers.
class EdgeCollector {
 public:
  EdgeCollector(const VectorIndex& index, std::span<const uint64_t> labels, float (*score)(float),
                float min_score, const NearDuplicateOptions& options)
      : index_(index), labels_(labels), score_(score), min_score_(min_score), options_(options) {}

  Result<std::vector<Edge>> Run() {
    int threads = options_.threads > 0 ? options_.threads
                                       : static_cast<int>(std::thread::hardware_concurrency());
    threads = std::clamp(threads, 1, 64);
    std::vector<std::vector<Edge>> per_thread(threads);
    std::vector<std::thread> workers;
    for (int t = 1; t < threads; ++t) workers.emplace_back([this, &per_thread, t] {
      Work(&per_thread[t]);
    });
    Work(&per_thread[0]);
    for (std::thread& w : workers) w.join();
    if (!first_error_.ok()) return first_error_;
    std::vector<Edge> edges;
    for (auto& part : per_thread) edges.insert(edges.end(), part.begin(), part.end());
    // Both directions of a pair may have been found: keep one, the higher score.
    std::sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) {
      return x.a != y.a ? x.a < y.a : x.b != y.b ? x.b < y.b : x.score > y.score;
    });
    edges.erase(std::unique(edges.begin(), edges.end(),
                            [](const Edge& x, const Edge& y) { return x.a == y.a && x.b == y.b; }),
                edges.end());
    return edges;
  }

 private:
  static constexpr size_t kChunk = 256;

  void Work(std::vector<Edge>* out) {
    std::vector<float> vec;
    std::vector<SearchHit> hits;
    while (!failed_.load(std::memory_order_relaxed)) {
      size_t begin = next_.fetch_add(kChunk);
      if (begin >= labels_.size()) return;
      size_t end = std::min(labels_.size(), begin + kChunk);
      for (size_t i = begin; i < end; ++i) {
        Status s = Neighbours(static_cast<uint32_t>(i), &vec, &hits, out);
        if (!s.ok()) return Fail(s);
      }
      if (found_.load(std::memory_order_relaxed) > options_.max_pairs * 2) {
        return Fail(TooManyPairs(min_score_, options_.max_pairs));
      }
    }
  }

  Status Neighbours(uint32_t i, std::vector<float>* vec, std::vector<SearchHit>* hits,
                    std::vector<Edge>* out) {
    // A label not (yet) in the index: its insertion is pending or it was just removed.
    if (!index_.GetVector(labels_[i], vec).ok()) return Status::OK();
    size_t k = std::max<size_t>(1, options_.neighbors);
    const size_t max_k = std::max(k, std::min<size_t>(options_.max_neighbors, 9999));
    std::vector<std::pair<uint64_t, float>> passed;
    while (true) {
      SearchParams params;
      params.k = k + 1;  // the label itself comes back too
      params.ef_search = static_cast<int>(std::max<size_t>(64, 2 * params.k));
      LOOKALIKE_RETURN_IF_ERROR(index_.Search(vec->data(), params, hits));
      passed.clear();
      size_t others = 0;
      for (const SearchHit& h : *hits) {
        if (h.label == labels_[i]) continue;
        ++others;
        float s = score_(h.distance);
        if (s >= min_score_) passed.emplace_back(h.label, s);
      }
      // Every neighbour still scored ≥ S: there may be more beyond k.
      bool full = hits->size() == params.k && others > 0 && passed.size() == others;
      if (!full || k >= max_k) break;
      k = std::min(max_k, 2 * k);
    }
    for (const auto& [label, s] : passed) {
      auto it = std::lower_bound(labels_.begin(), labels_.end(), label);
      if (it == labels_.end() || *it != label) continue;  // not part of this report
      uint32_t j = static_cast<uint32_t>(it - labels_.begin());
      out->push_back({std::min(i, j), std::max(i, j), s});
    }
    found_.fetch_add(passed.size(), std::memory_order_relaxed);
    return Status::OK();
  }

  void Fail(const Status& s) {
    std::lock_guard lock(error_mu_);
    if (first_error_.ok()) first_error_ = s;
    failed_.store(true);
  }

  const VectorIndex& index_;
  std::span<const uint64_t> labels_;
  float (*score_)(float);
  float min_score_;
  const NearDuplicateOptions& options_;
  std::atomic<size_t> next_{0};
  std::atomic<size_t> found_{0};  // pairs recorded, both directions counted
  std::atomic<bool> failed_{false};
  std::mutex error_mu_;
  Status first_error_;  // guarded by error_mu_
};

// Complete-linkage clustering of one connected component: its edges in descending score order
// merge two clusters only when every cross pair scores ≥ S.
class ComponentClusterer {
 public:
  ComponentClusterer(const VectorIndex& index, std::span<const uint64_t> labels,
                     float (*score)(float), float min_score)
      : index_(index),
        labels_(labels),
        score_(score),
        min_score_(min_score),
        metric_(MetricInfoOf(index.metric())),
        dim_(index.dim()) {}

  // `edges`: the component's edges, best first.
  void Cluster(std::span<const Edge> edges, std::vector<LabelGroup>* out) {
    members_.clear();
    for (const Edge& e : edges) members_.push_back(e.a), members_.push_back(e.b);
    std::sort(members_.begin(), members_.end());
    members_.erase(std::unique(members_.begin(), members_.end()), members_.end());
    vectors_.assign(members_.size() * dim_, 0.0f);
    present_.assign(members_.size(), 0);
    std::vector<float> v;
    for (size_t m = 0; m < members_.size(); ++m) {
      if (!index_.GetVector(labels_[members_[m]], &v).ok()) continue;  // removed meanwhile
      std::copy(v.begin(), v.end(), vectors_.begin() + m * dim_);
      present_[m] = 1;
    }
    cluster_of_.resize(members_.size());
    std::iota(cluster_of_.begin(), cluster_of_.end(), 0u);
    clusters_.assign(members_.size(), {});
    for (uint32_t m = 0; m < members_.size(); ++m) clusters_[m].members = {m};
    for (const Edge& e : edges) {
      uint32_t x = Local(e.a), y = Local(e.b);
      if (!present_[x] || !present_[y]) continue;
      uint32_t cx = cluster_of_[x], cy = cluster_of_[y];
      if (cx != cy) TryMerge(cx, cy);
    }
    for (const auto& c : clusters_) {
      if (c.members.size() < 2) continue;
      LabelGroup group;
      for (uint32_t m : c.members) group.labels.push_back(labels_[members_[m]]);
      std::sort(group.labels.begin(), group.labels.end());
      group.min_score = c.min_score;
      out->push_back(std::move(group));
    }
  }

 private:
  struct ClusterState {
    std::vector<uint32_t> members;  // local member numbers
    float min_score = INFINITY;
  };

  uint32_t Local(uint32_t position) const {
    return static_cast<uint32_t>(
        std::lower_bound(members_.begin(), members_.end(), position) - members_.begin());
  }

  void TryMerge(uint32_t cx, uint32_t cy) {
    ClusterState& a = clusters_[cx];
    ClusterState& b = clusters_[cy];
    float cross_min = INFINITY;
    for (uint32_t x : a.members) {
      for (uint32_t y : b.members) {
        float s = score_(StoredDistance(metric_, &vectors_[x * dim_], &vectors_[y * dim_], dim_));
        if (!(s >= min_score_)) return;  // one pair too far apart: not a group
        cross_min = std::min(cross_min, s);
      }
    }
    // The larger cluster absorbs the smaller one.
    uint32_t into = a.members.size() >= b.members.size() ? cx : cy;
    uint32_t from = into == cx ? cy : cx;
    ClusterState& keep = clusters_[into];
    ClusterState& gone = clusters_[from];
    keep.min_score = std::min({keep.min_score, gone.min_score, cross_min});
    for (uint32_t m : gone.members) cluster_of_[m] = into;
    keep.members.insert(keep.members.end(), gone.members.begin(), gone.members.end());
    gone.members.clear();
    gone.members.shrink_to_fit();
  }

  const VectorIndex& index_;
  std::span<const uint64_t> labels_;
  float (*score_)(float);
  float min_score_;
  const MetricInfo& metric_;
  size_t dim_;
  std::vector<uint32_t> members_;  // positions in labels_, ascending
  std::vector<float> vectors_;     // members_.size() x dim_
  std::vector<uint8_t> present_;
  std::vector<uint32_t> cluster_of_;
  std::vector<ClusterState> clusters_;
};

}  // namespace

Result<LabelGroups> GroupNearDuplicateLabels(const VectorIndex& index,
                                             std::span<const uint64_t> labels,
                                             float (*score)(float), float min_score,
                                             const NearDuplicateOptions& options) {
  assert(std::is_sorted(labels.begin(), labels.end()));
  if (labels.size() >= UINT32_MAX) return IllegalArgument("too many documents for a report");
  LabelGroups result;
  EdgeCollector collector(index, labels, score, min_score, options);
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<Edge> edges, collector.Run());
  if (edges.size() > options.max_pairs) return TooManyPairs(min_score, options.max_pairs);
  result.pairs = edges.size();

  UnionFind components(labels.size());
  for (const Edge& e : edges) components.Union(e.a, e.b);
  // Edges grouped by component, best first inside it; ties by position (deterministic).
  std::vector<uint32_t> root(edges.size());
  for (size_t i = 0; i < edges.size(); ++i) root[i] = components.Find(edges[i].a);
  std::vector<uint32_t> order(edges.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    const Edge& ex = edges[x];
    const Edge& ey = edges[y];
    if (root[x] != root[y]) return root[x] < root[y];
    if (ex.score != ey.score) return ex.score > ey.score;
    return ex.a != ey.a ? ex.a < ey.a : ex.b < ey.b;
  });
  std::vector<Edge> sorted;
  sorted.reserve(edges.size());
  for (uint32_t i : order) sorted.push_back(edges[i]);
  std::vector<uint32_t> sorted_root(edges.size());
  for (size_t i = 0; i < order.size(); ++i) sorted_root[i] = root[order[i]];
  edges.clear();
  edges.shrink_to_fit();

  ComponentClusterer clusterer(index, labels, score, min_score);
  for (size_t begin = 0; begin < sorted.size();) {
    size_t end = begin;
    while (end < sorted.size() && sorted_root[end] == sorted_root[begin]) ++end;
    // A component of m members has at least m - 1 edges: cheap to check before loading it.
    if (end - begin + 1 > options.max_component) {
      size_t members = 0;
      std::unordered_map<uint32_t, bool> seen;
      for (size_t i = begin; i < end; ++i) seen[sorted[i].a] = seen[sorted[i].b] = true;
      members = seen.size();
      if (members > options.max_component) {
        return IllegalArgument("[min_score] " + std::to_string(min_score) +
                               " is too low for a near-duplicate report: " +
                               std::to_string(members) +
                               " documents are chained together by pairs scoring at least that "
                               "much (the limit is " +
                               std::to_string(options.max_component) + ")");
      }
    }
    clusterer.Cluster(std::span<const Edge>(sorted).subspan(begin, end - begin), &result.groups);
    begin = end;
  }
  return result;
}

}  // namespace lookalike::engine
