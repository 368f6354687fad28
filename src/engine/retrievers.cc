// Elasticsearch retrievers run over leaf searches; see lookalike/retrievers.h.
#include "lookalike/retrievers.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/json_util.h"

namespace lookalike {
namespace {

// Elasticsearch's limit on rank_window_size (index.max_result_window's default).
constexpr int64_t kMaxWindow = 10000;

using DocKey = std::pair<std::string, std::string>;  // index, _id

// One candidate of a node's window, best first.
struct Ranked {
  DocumentHit hit;
  float score = 0;
};

// What the leaves of one RunRetriever have in common.
class RetrieverRun {
 public:
  RetrieverRun(const SearchRequest& request, const LeafSearch& search,
               const ExampleVectorReader& read)
      : request_(request), search_(search), read_(read) {}

  Result<std::vector<Ranked>> Window(const Retriever& node, int64_t window);
  // The answer's bookkeeping: the first leaf's shards (the most failures any leaf saw), the
  // distinct documents seen, the first embedding reported.
  void Finish(SearchResult* out) const;

 private:
  Result<std::vector<Ranked>> Leaf(const Retriever& node, int64_t window);
  Result<std::vector<Ranked>> Fuse(const Retriever& node, int64_t window);
  Result<std::vector<Ranked>> Diversify(const Retriever& node, int64_t window);
  Result<int64_t> WindowOf(const Retriever& node, int64_t fallback) const;

  const SearchRequest& request_;
  const LeafSearch& search_;
  const ExampleVectorReader& read_;
  std::optional<ShardCounts> shards_;
  std::map<DocKey, bool> seen_;
  std::optional<SearchResult::Embedding> embedding_;
};

std::string_view KindName(Retriever::Kind kind) {
  switch (kind) {
    case Retriever::Kind::kStandard: return "standard";
    case Retriever::Kind::kKnn: return "knn";
    case Retriever::Kind::kRrf: return "rrf";
    case Retriever::Kind::kLinear: return "linear";
    case Retriever::Kind::kDiversify: return "diversify";
  }
  return "retriever";
}

bool IsLeaf(const Retriever& node) {
  return node.kind == Retriever::Kind::kStandard || node.kind == Retriever::Kind::kKnn;
}

// `request` as the search of one leaf: its query (standard) or knn entry, nothing of the
// request's own query, knn, sort or retriever.
SearchRequest LeafRequest(const SearchRequest& request, const Retriever& node) {
  SearchRequest leaf = request;
  leaf.retriever.reset();
  leaf.query.reset();
  leaf.knn.clear();
  leaf.sort = node.sort;
  leaf.min_score = node.min_score;
  if (node.kind == Retriever::Kind::kKnn) {
    leaf.knn.push_back(*node.knn);
  } else if (node.filter.empty()) {
    leaf.query = node.query;
  } else {
    BoolNode both;
    if (node.query) both.must.push_back(*node.query);
    both.filter = node.filter;
    leaf.query = QueryNode{std::move(both)};
  }
  return leaf;
}

Result<int64_t> RetrieverRun::WindowOf(const Retriever& node, int64_t fallback) const {
  int64_t window = node.rank_window_size.value_or(fallback);
  if (window < request_.size) {
    return engine::IllegalArgument("[rank_window_size] of [" + std::string(KindName(node.kind)) +
                                   "] must be greater than or equal to [size] (" +
                                   std::to_string(window) + " < " +
                                   std::to_string(request_.size) + ")");
  }
  if (window > kMaxWindow) {
    return engine::IllegalArgument("[rank_window_size] must be at most " +
                                   std::to_string(kMaxWindow) + ", was " + std::to_string(window));
  }
  return window;
}

Result<std::vector<Ranked>> RetrieverRun::Window(const Retriever& node, int64_t window) {
  switch (node.kind) {
    case Retriever::Kind::kStandard:
    case Retriever::Kind::kKnn:
      return Leaf(node, window);
    case Retriever::Kind::kRrf:
    case Retriever::Kind::kLinear:
      return Fuse(node, window);
    case Retriever::Kind::kDiversify:
      return Diversify(node, window);
  }
  return engine::IllegalArgument("unknown retriever");
}

Result<std::vector<Ranked>> RetrieverRun::Leaf(const Retriever& node, int64_t window) {
  SearchRequest leaf = LeafRequest(request_, node);
  leaf.size = window;
  leaf.from = 0;
  leaf.aggs.clear();
  leaf.collapse.reset();
  leaf.search_after.reset();
  if (leaf.knn.size() == 1 && leaf.knn[0].k < static_cast<size_t>(window) &&
      !leaf.knn[0].IsRadial()) {
    // A knn leaf contributes its k hits; a window beyond k gets no more of them.
    leaf.size = static_cast<int64_t>(leaf.knn[0].k);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(SearchResult result, search_(leaf));
  if (!shards_) {
    shards_ = result.shards;
  } else {
    shards_->failed = std::max(shards_->failed, result.shards.failed);
  }
  if (!embedding_ && result.embedding) embedding_ = result.embedding;
  std::vector<Ranked> ranked;
  ranked.reserve(result.hits.size());
  for (DocumentHit& hit : result.hits) {
    seen_[{hit.index, hit.id}] = true;
    float score = hit.scored() ? hit.score : 0.0f;  // a sorted leaf ranks, it does not score
    ranked.push_back({std::move(hit), score});
  }
  return ranked;
}

// Each child's scores over its window, normalised as the node says.
std::vector<float> Normalised(const std::vector<Ranked>& window, ScoreNormalizer normalizer) {
  std::vector<float> out;
  out.reserve(window.size());
  for (const Ranked& r : window) out.push_back(r.score);
  if (out.empty() || normalizer == ScoreNormalizer::kNone) return out;
  if (normalizer == ScoreNormalizer::kMinMax) {
    auto [lo, hi] = std::minmax_element(out.begin(), out.end());
    const float min = *lo, range = *hi - *lo;
    for (float& s : out) s = range > 0 ? (s - min) / range : 1.0f;
    return out;
  }
  double squares = 0;
  for (float s : out) squares += static_cast<double>(s) * s;
  const float norm = static_cast<float>(std::sqrt(squares));
  for (float& s : out) s = norm > 0 ? s / norm : 0.0f;
  return out;
}

// One document's share of every child: its normalised score (linear) or 1/(c + rank) (rrf).
struct Contribution {
  size_t first_child = 0;  // where its hit is taken from
  DocumentHit hit;
  std::vector<std::optional<float>> parts;  // per child; empty = not found by that child
};

float Combine(const Retriever& node, const std::vector<std::optional<float>>& parts) {
  if (node.kind == Retriever::Kind::kRrf) {
    float sum = 0;
    for (const auto& p : parts) sum += p.value_or(0.0f);
    return sum;
  }
  auto weight = [&node](size_t i) { return i < node.weights.size() ? node.weights[i] : 1.0f; };
  double weight_total = 0;
  for (size_t i = 0; i < parts.size(); ++i) weight_total += weight(i);
  if (weight_total <= 0) weight_total = 1;
  double sum = 0, log_sum = 0, inverse_sum = 0, present_weight = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const double w = weight(i), s = parts[i].value_or(0.0f);
    sum += w * s;
    if (parts[i] && s > 0) {
      present_weight += w;
      log_sum += w * std::log(s);
      inverse_sum += w / s;
    }
  }
  switch (node.combination) {
    case Retriever::Combination::kSum:
      return static_cast<float>(sum);
    case Retriever::Combination::kArithmeticMean:
      return static_cast<float>(sum / weight_total);
    case Retriever::Combination::kGeometricMean:
      return present_weight > 0 ? static_cast<float>(std::exp(log_sum / present_weight)) : 0.0f;
    case Retriever::Combination::kHarmonicMean:
      return inverse_sum > 0 ? static_cast<float>(present_weight / inverse_sum) : 0.0f;
  }
  return static_cast<float>(sum);
}

Result<std::vector<Ranked>> RetrieverRun::Fuse(const Retriever& node, int64_t window) {
  LOOKALIKE_ASSIGN_OR_RETURN(int64_t child_window, WindowOf(node, window));
  const size_t n = node.children.size();
  std::map<DocKey, Contribution> docs;
  std::vector<DocKey> order;  // first appearance, for a stable tie order
  for (size_t c = 0; c < n; ++c) {
    LOOKALIKE_ASSIGN_OR_RETURN(std::vector<Ranked> ranked, Window(node.children[c], child_window));
    std::vector<float> scores;
    if (node.kind == Retriever::Kind::kLinear) {
      scores = Normalised(ranked, c < node.normalizers.size() ? node.normalizers[c]
                                                              : ScoreNormalizer::kNone);
    }
    for (size_t r = 0; r < ranked.size(); ++r) {
      DocKey key{ranked[r].hit.index, ranked[r].hit.id};
      auto [it, added] = docs.try_emplace(key);
      if (added) {
        it->second.first_child = c;
        it->second.hit = std::move(ranked[r].hit);
        it->second.parts.resize(n);
        order.push_back(key);
      }
      it->second.parts[c] = node.kind == Retriever::Kind::kRrf
                                ? 1.0f / static_cast<float>(node.rank_constant + 1 + r)
                                : scores[r];
    }
  }
  std::vector<Ranked> fused;
  fused.reserve(order.size());
  for (const DocKey& key : order) {
    Contribution& c = docs[key];
    fused.push_back({std::move(c.hit), Combine(node, c.parts)});
  }
  std::stable_sort(fused.begin(), fused.end(),
                   [](const Ranked& a, const Ranked& b) { return a.score > b.score; });
  if (static_cast<int64_t>(fused.size()) > window) fused.resize(static_cast<size_t>(window));
  return fused;
}

// How alike two vectors are, in [0, 1], by the field's metric: l2 as its knn score
// 1 / (1 + squared distance); cosine and inner product as the cosine mapped to [0, 1]
// ((1 + cos) / 2, 0.5 when one is all zeros) — bounded, unlike an inner product.
float Similarity(Metric metric, const std::vector<float>& a, const std::vector<float>& b) {
  if (metric == Metric::kL2) {
    double squared = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      const double d = static_cast<double>(a[i]) - b[i];
      squared += d * d;
    }
    return static_cast<float>(1.0 / (1.0 + squared));
  }
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na <= 0 || nb <= 0) return 0.5f;
  return static_cast<float>((1.0 + dot / std::sqrt(na * nb)) / 2.0);
}

// The vectors of `field` of every hit of the window; a hit without one gets an empty vector
// (it is never judged redundant).
Result<std::vector<std::vector<float>>> WindowVectors(const std::vector<Ranked>& window,
                                                      const std::string& field,
                                                      size_t query_dims,
                                                      const ExampleVectorReader& read,
                                                      Metric* metric) {
  std::vector<std::vector<float>> vectors;
  vectors.reserve(window.size());
  for (const Ranked& r : window) {
    LOOKALIKE_ASSIGN_OR_RETURN(ExampleVector v, read(r.hit.index, r.hit.id, field, nullptr));
    if (v.state == ExampleVector::State::kFound) {
      *metric = v.metric;  // one field: one metric (several indices: the last one's)
    } else {
      v.values.clear();
    }
    if (query_dims != 0 && !v.values.empty() && v.values.size() != query_dims) {
      return engine::IllegalArgument(
          "[diversify] [query_vector] has " + std::to_string(query_dims) +
          " dimensions but the vectors of [" + field + "] have " +
          std::to_string(v.values.size()));
    }
    vectors.push_back(std::move(v.values));
  }
  return vectors;
}

Result<std::vector<Ranked>> RetrieverRun::Diversify(const Retriever& node, int64_t window) {
  LOOKALIKE_ASSIGN_OR_RETURN(int64_t child_window, WindowOf(node, 10));
  (void)window;
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<Ranked> ranked,
                             Window(node.children.front(), child_window));
  const size_t keep = std::min(ranked.size(), static_cast<size_t>(std::max<int64_t>(node.size, 0)));
  if (keep == ranked.size()) return ranked;
  Metric metric = Metric::kL2;
  LOOKALIKE_ASSIGN_OR_RETURN(
      auto vectors, WindowVectors(ranked, node.field, node.query_vector.size(), read_, &metric));
  std::vector<float> relevance;
  if (node.query_vector.empty()) {
    relevance = Normalised(ranked, ScoreNormalizer::kMinMax);
  } else {
    for (const auto& v : vectors) {
      relevance.push_back(v.empty() ? 0.0f : Similarity(metric, node.query_vector, v));
    }
  }
  // Greedy MMR: each round takes the candidate with the best
  // lambda · relevance − (1 − lambda) · (its highest similarity to one already taken).
  std::vector<float> redundancy(ranked.size(), 0.0f);
  std::vector<bool> taken(ranked.size(), false);
  for (size_t round = 0; round < keep; ++round) {
    size_t best = ranked.size();
    float best_value = 0;
    for (size_t i = 0; i < ranked.size(); ++i) {
      if (taken[i]) continue;
      float value = node.lambda * relevance[i] - (1.0f - node.lambda) * redundancy[i];
      if (best == ranked.size() || value > best_value) {
        best = i;
        best_value = value;
      }
    }
    taken[best] = true;
    if (vectors[best].empty()) continue;
    for (size_t i = 0; i < ranked.size(); ++i) {
      if (!taken[i] && !vectors[i].empty()) {
        redundancy[i] = std::max(redundancy[i], Similarity(metric, vectors[best], vectors[i]));
      }
    }
  }
  std::vector<Ranked> kept;
  kept.reserve(keep);
  for (size_t i = 0; i < ranked.size(); ++i) {
    if (taken[i]) kept.push_back(std::move(ranked[i]));
  }
  return kept;
}

void RetrieverRun::Finish(SearchResult* out) const {
  if (shards_) out->shards = *shards_;
  out->total.value = static_cast<int64_t>(seen_.size());
  out->total.relation = TotalHits::Relation::kEqual;
  out->total.tracked = request_.track_total_hits != 0;
  out->embedding = embedding_;
}

// Adds what the leaves under `node` match to the aggregation search: a standard leaf's query
// (with its filter) as a should clause, a knn leaf as a knn entry (its top k).
Status CollectLeafMatches(const SearchRequest& request, const Retriever& node, BoolNode* any,
                          std::vector<KnnNode>* knn) {
  if (node.kind == Retriever::Kind::kKnn) {
    knn->push_back(*node.knn);
    return Status::OK();
  }
  if (node.kind == Retriever::Kind::kStandard) {
    if (node.min_score) {
      // A per-leaf score floor has no place in one union query; refused rather than ignored.
      return engine::IllegalArgument(
          "aggregations beside a compound retriever are not supported when a [standard] "
          "retriever sets [min_score]");
    }
    SearchRequest leaf = LeafRequest(request, node);
    any->should.push_back(leaf.query ? std::move(*leaf.query) : QueryNode{MatchAllNode{}});
    return Status::OK();
  }
  for (const Retriever& child : node.children) {
    LOOKALIKE_RETURN_IF_ERROR(CollectLeafMatches(request, child, any, knn));
  }
  return Status::OK();
}

// The aggregations of a compound retriever: one search (size 0, no total) whose matches are
// the union of every standard leaf's matches and every knn leaf's top k — what Elasticsearch
// aggregates beside rrf/linear and OpenSearch beside hybrid. The leaf search merges shard
// partials as for any search, so one node and a cluster agree.
Result<std::vector<AggregationPartial>> UnionAggregations(const SearchRequest& request,
                                                          const LeafSearch& search) {
  SearchRequest agg = request;
  agg.retriever.reset();
  agg.query.reset();
  agg.knn.clear();
  agg.sort.clear();
  agg.min_score.reset();
  agg.collapse.reset();
  agg.search_after.reset();
  agg.size = 0;
  agg.from = 0;
  agg.track_total_hits = 0;
  BoolNode any;
  LOOKALIKE_RETURN_IF_ERROR(CollectLeafMatches(request, *request.retriever, &any, &agg.knn));
  // Without a standard leaf, the knn entries alone are the matches (an absent query adds none).
  if (!any.should.empty()) agg.query = QueryNode{std::move(any)};
  LOOKALIKE_ASSIGN_OR_RETURN(SearchResult result, search(agg));
  return std::move(result.aggregations);
}

}  // namespace

Result<SearchResult> RunRetriever(const SearchRequest& request, const LeafSearch& search,
                                  const ExampleVectorReader& read_vector) {
  const Retriever& root = *request.retriever;
  if (IsLeaf(root)) return search(LeafRequest(request, root));
  RetrieverRun run(request, search, read_vector);
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<Ranked> ranked,
                             run.Window(root, request.from + request.size));
  SearchResult out;
  run.Finish(&out);
  if (!request.aggs.empty()) {
    LOOKALIKE_ASSIGN_OR_RETURN(out.aggregations, UnionAggregations(request, search));
  }
  if (!ranked.empty()) out.max_score = ranked.front().score;
  for (size_t i = static_cast<size_t>(request.from); i < ranked.size(); ++i) {
    if (static_cast<int64_t>(out.hits.size()) >= request.size) break;
    ranked[i].hit.score = ranked[i].score;
    ranked[i].hit.sort.clear();
    out.hits.push_back(std::move(ranked[i].hit));
  }
  return out;
}

}  // namespace lookalike
