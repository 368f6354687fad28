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
// search fails with 503 (Unavailable, "Partial shards failure ..."), as it does when every shard
// failed ("all shards failed ..."). Any other error a shard answers (a bad request: the same
// on every shard) is the error of the whole request.
//
// Copies on this node (ScatterOptions::local_node) are searched in-process through the local
// engine, never over HTTP: a search lane waiting for itself could deadlock under load.
//
// Thread safety: every method may be called concurrently (each call uses its own connections,
// taken from the pool); the map source and the local engine must outlive the coordinator.
// Connections are pooled per copy address (guarded by pool_mu_).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/shard_map.h"
#include "lookalike/engine.h"
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

  /// _search over the indices `expression` names. The shards that failed are counted in
  /// result.shards (total, failed) and described in `*failures` (appended; may be null).
  /// Errors: index_not_found_exception (from the map), the encoder's (a neural node or knn
  /// lookup left in the request: embed or resolve on this node first), a shard's request error,
  /// 503 when shards failed and partial results are refused or none answered.
  Result<SearchResult> Search(std::string_view expression, const SearchRequest& request,
                              const ScatterCall& call,
                              std::vector<ShardFailure>* failures = nullptr);

  /// _count, scattered the same way; the counts are added.
  Result<CountResult> Count(std::string_view expression, const CountRequest& request,
                            const ScatterCall& call,
                            std::vector<ShardFailure>* failures = nullptr);

  /// GET _doc of one concrete index: only the shard that `routing` (default: the id) routes to
  /// is asked (ShardForRouting). The document's `_index` is the user's index. A shard with no
  /// answering copy is 503 (unavailable_shards_exception).
  Result<StoredDocument> Get(std::string_view index, std::string_view id,
                             const std::string* routing, const SourceFilter& source,
                             const ScatterCall& call);

 private:
  struct ShardTarget;
  struct ShardAnswer;
  struct ShardCall;
  // Asks one copy of every target (see "Threads" above) and returns their answers in order.
  std::vector<ShardAnswer> Gather(const std::vector<ShardTarget>& targets,
                                  std::string_view endpoint, std::string_view body,
                                  const ScatterCall& call);
  // Moves `c` on to its next copy: sends a remote copy its request and returns (in flight), or
  // runs a local copy in-process when `run_local` (else leaves it due), until the shard is done.
  void Advance(ShardCall* c, std::string_view endpoint, std::string_view body,
               const ScatterCall& call, bool run_local);
  // Reads the answer of `c`'s copy in flight (or fails it when `timed_out`), then as Advance.
  void Receive(ShardCall* c, bool timed_out, std::string_view endpoint, std::string_view body,
               const ScatterCall& call);
  bool IsLocal(const ShardCopy& copy) const;
  Result<std::string> AskLocal(const std::string& local_index, std::string_view endpoint,
                               std::string_view body);
  Result<std::vector<ShardAnswer>> Scatter(std::string_view expression,
                                           std::string_view endpoint, std::string_view body,
                                           const ScatterCall& call);
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
