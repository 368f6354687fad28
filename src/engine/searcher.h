// The searcher: the read path of the engine, from a typed request over resolved target indices
// to a typed result. Per index: CompileQuery binds the request to the mapping (plan), the plan
// evaluates to Matches under the index's shared data_mu (execute), the matches are offered to
// the HitCollector (top-k or sort keys, hit_collector.h) and the AggCollector; then the page's
// hits are fetched from the store with _source filtering.
//
// Thread safety: a Searcher holds no mutable state; any number of searches run concurrently.
// It takes each index's data_mu shared while evaluating and while checking a fetched hit.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "engine/hit_collector.h"
#include "engine/index.h"
#include "lookalike/engine.h"
#include "storage/doc_store.h"

namespace lookalike::engine {

/// The vectors of a search's neural nodes, made once per (node, model, dims) for all the indices
/// the search targets, and what the result reports of them.
struct NeuralEmbeddings {
  std::map<std::tuple<const NeuralNode*, std::string, int>, std::vector<float>> vectors;
  double took_ms = 0;
  std::string model;
};

/// Reads what the response shows of candidate `c` of `index` under `req`'s _source, version,
/// sort and collapse options; false when the document went away (deleted, or its number
/// reused) since it matched. Takes index.data_mu shared.
bool FetchHit(const storage::DocStore& store, Index& index, const SearchRequest& req,
              bool score_sort, Candidate& c, DocumentHit* hit);

/// Shard counts of a local search over `indices` indices, all successful.
ShardCounts AllSuccessful(size_t indices);
/// What needs no index: a negative size or from (a request built in C++; the codec refuses
/// them with its own message first).
Status CheckRequestShape(const SearchRequest& req);

class Searcher {
 public:
  /// Makes `request`'s neural nodes knn nodes for `index` (the engine's embedding plug-in),
  /// reusing and adding to `done`. Called without any index lock held.
  using NeuralRewrite = std::function<Result<SearchRequest>(
      const Index& index, const SearchRequest& request, NeuralEmbeddings* done)>;

  /// `store` must outlive the searcher.
  explicit Searcher(const storage::DocStore* store) : store_(store) {}

  /// Runs `request` (knn lookups already resolved) over `targets` in order: the result window
  /// and search_after checks, evaluation and collection per index, the page's hits fetched.
  /// `start` is when the request arrived (for `took`).
  Result<SearchResult> Search(const std::vector<std::shared_ptr<Index>>& targets,
                              const SearchRequest& request, const SearchOptions& options,
                              std::chrono::steady_clock::time_point start,
                              const NeuralRewrite& embed_neural) const;

  /// The number of live documents of `index` that `query` (null: all) matches; `query` holds no
  /// neural node.
  Result<int64_t> CountMatches(const Index& index, const QueryNode* query) const;

 private:
  const storage::DocStore* store_;
};

}  // namespace lookalike::engine
