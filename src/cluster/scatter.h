// The coordinator's read path (issue 9): a typed search, count or GET on the user's indices,
// scattered to one copy of every shard, gathered and merged into the answer one node holding
// every document would give.
//
//   ShardMapSource (routes) → per shard, in parallel: one copy (round-robin; on a failure the
//   next copy) → binary request (docs/formats/search-request.md) → partial result → hits'
//   _index renamed to the user's index → MergeSearchResults (lookalike/search_merge.h).
//
// Threads. The calling thread does all of it, with no thread per shard: it writes every remote
// copy's request first (pooled keep-alive connections), then searches this node's own copies
// in-process while the others work, then reads the answers as they arrive (poll over the
// sockets). A copy that fails is replaced by the shard's next copy at once, so failovers of
// different shards overlap too.
//
// Failures. A copy that cannot be reached, or answers Unavailable / IOError / Corruption /
// index_not_found (the copy is not there, or not ready), is skipped for the next copy. A shard
// whose copies all failed (or that has none) becomes a ShardFailure in `_shards.failures`; the
// other shards' hits are returned when `allow_partial_search_results` (the default), else the
// search fails with Unavailable of kind kShardsFailed ("Partial shards failure"; 503
// search_phase_execution_exception), as it does when no shard answered ("all shards failed");
// the failures are then still appended to `*failures` (the error's "failed_shards"). Any other
// error a shard answers (a bad request: the same on every shard) is the error of the whole
// request.
//
// Copies on this node (ScatterOptions::local_node) are searched in-process through the local
// engine, never over HTTP: a search lane waiting for itself could deadlock under load.
//
// Before a search is scattered the coordinator does what must happen once, not per shard
// (coordinator_prepare.cc): knn query_vector_builder examples are read from the shard their
// routing (default: their id) routes to (lookalike/vector_builders.h), and neural query nodes
// (images, text) are embedded with this node's embedder for the vector field and model a copy
// of the index names; the shards then run a plain knn query.
//
// Thread safety: every method may be called concurrently (each call uses its own connections,
// taken from the pool); the map source and the local engine must outlive the coordinator.
// Connections are pooled per copy address (guarded by pool_mu_).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/shard_map.h"
#include "lookalike/engine.h"
#include "lookalike/field_embedder.h"
#include "lookalike/search_merge.h"
#include "lookalike/search_request.h"
#include "lookalike/search_result.h"
#include "lookalike/shard_failure.h"
#include "lookalike/status.h"
#include "net/http_client.h"

namespace lookalike::cluster {

struct ScatterOptions {
  /// This node's name: its own copies are searched through `local_engine`. "" = none.
  std::string local_node;
  Engine* local_engine = nullptr;
  /// A shard call that makes no progress for this long fails that copy (IOError), so a hung
  /// node costs one timeout, then the next copy is asked.
  std::chrono::milliseconds shard_timeout{30000};
  /// Scheme of the copies' REST APIs ("http" or "https") and how TLS is checked.
  std::string scheme = "http";
  net::HttpClientTls tls;
  /// Embeds neural query nodes on this node (every node has the same packaged models), so the
  /// shards never need the model. Null: neural queries are a 400 ("no image models ...").
  std::shared_ptr<FieldEmbedder> embedder;
};

/// Who asks, and how strict the caller is about missing shards.
struct ScatterCall {
  /// The caller's Authorization header value, forwarded to every copy ("" = none).
  std::string authorization;
  /// Elasticsearch's allow_partial_search_results (default true).
  bool allow_partial_results = true;
};

class Coordinator {
 public:
  Coordinator(const ShardMapSource* source, ScatterOptions options);
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  /// True when requests on the index `expression` names go through the coordinator: every user
  /// index expression; not a local shard copy (IsShardCopyName), which operators, tests and
  /// other coordinators read from this node's engine directly.
  static bool Coordinates(std::string_view expression) { return !IsShardCopyName(expression); }

  /// _search over the indices `expression` names. knn query_vector_builder entries are resolved
  /// and neural nodes embedded first (see above; result.embedding reports the embedding). The
  /// shards that failed are counted in result.shards (total, failed) and described in
  /// `*failures` (appended; may be null).
  /// Errors: index_not_found_exception (from the map), the example and embedding errors one
  /// node gives (illegal_argument_exception ...; 503 when an example's shard has no answering
  /// copy), a shard's request error, kShardsFailed when shards failed and partial results are
  /// refused or none answered (the failures are appended to `*failures` then too).
  Result<SearchResult> Search(std::string_view expression, const SearchRequest& request,
                              const ScatterCall& call,
                              std::vector<ShardFailure>* failures = nullptr);

  /// _count, scattered the same way (neural nodes embedded first); the counts are added.
  Result<CountResult> Count(std::string_view expression, const CountRequest& request,
                            const ScatterCall& call,
                            std::vector<ShardFailure>* failures = nullptr);

  /// GET _doc of one concrete index: only the shard that `routing` (default: the id) routes to
  /// is asked (ShardForRouting). The document's `_index` is the user's index. A shard with no
  /// answering copy is 503 (unavailable_shards_exception).
  Result<StoredDocument> Get(std::string_view index, std::string_view id,
                             const std::string* routing, const SourceFilter& source,
                             const ScatterCall& call);

  /// `request` with its knn query_vector_builder entries resolved and its neural nodes embedded
  /// (`*embedding` set when there were any): what Search scatters, ready to encode. A scroll
  /// prepares its request once and pages with ScrollPage. Errors as Search.
  Result<SearchRequest> Prepare(std::string_view expression, const SearchRequest& request,
                                const ScatterCall& call,
                                std::optional<SearchResult::Embedding>* embedding);

  /// Where each shard of a scroll stands: the sort values of the last hit it contributed to a
  /// page, by (user index, shard); a shard without an entry starts from its first hit.
  using ScrollCursor = std::map<std::pair<std::string, int>, std::vector<SortValue>>;
  /// The next page of a scroll (coordinator_scroll.cc): the prepared, sorted `request` (from 0,
  /// no search_after) runs on every shard after that shard's own position in `*cursor`, the
  /// merge keeps the best request.size hits, and `*cursor` advances past them. Each shard
  /// keeps its own tiebreak (document order), so no hit is skipped or repeated, also for the
  /// default `_doc` sort, whose values are per shard. Failures as Search.
  Result<SearchResult> ScrollPage(std::string_view expression, const SearchRequest& request,
                                  ScrollCursor* cursor, const ScatterCall& call,
                                  std::vector<ShardFailure>* failures = nullptr);

  /// The stored vector at `path` of document `id` of the concrete index `index`, from the shard
  /// `routing` (null: the id) routes to: the ExampleVectorReader of lookalike/vector_builders.h
  /// in cluster mode. 503 (unavailable_shards_exception) when that shard has no answering copy.
  Result<ExampleVector> ReadExampleVector(const std::string& index, const std::string& id,
                                          const std::string& path, const std::string* routing,
                                          const ScatterCall& call);

  /// Engine::NeuralTarget of `node` on the concrete index `index`, asked of a copy of its first
  /// shard (every copy has the index's mapping).
  Result<EmbedSpec> NeuralTarget(std::string_view index, const NeuralNode& node,
                                 const ScatterCall& call);

 private:
  struct ShardTarget;
  struct ShardAnswer;
  using HitShards = std::map<std::pair<std::string, std::string>, int>;  // (index, _id) → shard
  struct ShardCall;
  // Asks one copy of every target, targets[i] with bodies[i] (see "Threads" above), and
  // returns their answers in order.
  std::vector<ShardAnswer> Exchange(const std::vector<ShardTarget>& targets,
                                    std::vector<std::string> bodies, std::string_view endpoint,
                                    const ScatterCall& call);
  // Moves `c` on to its next copy: sends a remote copy its request and returns (in flight), or
  // runs a local copy in-process when `run_local` (else leaves it due), until the shard is done.
  void Advance(ShardCall* c, std::string_view endpoint, const ScatterCall& call, bool run_local);
  // Reads the answer of `c`'s copy in flight (or fails it when `timed_out`), then as Advance.
  void Receive(ShardCall* c, bool timed_out, std::string_view endpoint, const ScatterCall& call);
  bool IsLocal(const ShardCopy& copy) const;
  Result<std::string> AskLocal(const std::string& local_index, std::string_view endpoint,
                               std::string_view body);
  Result<std::vector<ShardAnswer>> Scatter(std::string_view expression,
                                           std::string_view endpoint, std::string_view body,
                                           const ScatterCall& call);
  // As above with a body per shard (a scroll's per-shard search_after).
  using BodyFor = std::function<std::string(const IndexRoutes& routes, int shard)>;
  Result<std::vector<ShardAnswer>> Scatter(std::string_view expression, std::string_view endpoint,
                                           const BodyFor& body_for, const ScatterCall& call);
  // Scatter of a search (one body per shard) and Gather of its answers.
  Result<SearchResult> ScatterSearch(std::string_view expression, const BodyFor& body_for,
                                     const MergeSpec& spec, const ScatterCall& call,
                                     std::vector<ShardFailure>* failures_out,
                                     HitShards* hit_shards);
  // The partial results decoded and merged; failures as Search describes. `hit_shards`
  // (optional) receives the shard of every partial hit.
  Result<SearchResult> Gather(std::vector<ShardAnswer> answers, const MergeSpec& spec,
                              const ScatterCall& call, std::vector<ShardFailure>* failures_out,
                              HitShards* hit_shards);
  // collapse.inner_hits: the second round over `page`'s groups (scatter.cc).
  Status GatherInnerHits(std::string_view expression, const SearchRequest& request,
                         const ScatterCall& call, SearchResult* page);
  // One shard of one concrete index (`what` names the operation in the error for any other
  // expression): the shard `routing` routes to, or shard 0 when null. Its answer's body; 503
  // (unavailable_shards_exception) when no copy answered.
  Result<std::string> AskRoutedShard(std::string_view index, const std::string_view* routing,
                                     std::string_view endpoint, std::string_view body,
                                     const ScatterCall& call, std::string_view what);
  Result<std::optional<QueryNode>> EmbedNeural(std::string_view expression,
                                               const std::optional<QueryNode>& query,
                                               const ScatterCall& call,
                                               std::optional<SearchResult::Embedding>* embedding);
  std::unique_ptr<net::HttpClient> TakeClient(const std::string& http);
  void ReturnClient(const std::string& http, std::unique_ptr<net::HttpClient> client);

  const ShardMapSource* source_;
  ScatterOptions options_;
  std::atomic<uint64_t> round_robin_{0};
  std::mutex pool_mu_;
  // Idle keep-alive connections per "host:port"; guarded by pool_mu_.
  std::map<std::string, std::vector<std::unique_ptr<net::HttpClient>>> pool_;
};

/// The MergeSpec (lookalike/search_merge.h) that the request implies.
MergeSpec MergeSpecOf(const SearchRequest& request);

}  // namespace lookalike::cluster
