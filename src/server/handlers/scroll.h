// The scroll API on top of search_after: POST /{index}/_search?scroll=KEEP_ALIVE starts a scroll,
// POST /_search/scroll {"scroll_id","scroll"} fetches the next page, DELETE /_search/scroll
// {"scroll_id":[…]} (or "_all") frees contexts. A context remembers the typed request (with a
// `_doc` sort added when it had none) and the last hit's sort values; each page is a fresh
// search "after" them. Unlike Elasticsearch's point-in-time view, documents written during a scroll
// may show up in later pages; none is returned twice and none present throughout is skipped. In
// cluster mode the coordinator keeps the context and each shard's position in the order
// (Coordinator::ScrollPage); the shards keep nothing.
//
// A scroll belongs to the caller that opened it (RequestCaller::id; "" when security is off):
// another caller's continue or clear finds no such context (404, as Elasticsearch answers, so
// an id reveals nothing about other users' scrolls).
//
// Thread safety: ScrollStore is internally synchronised; a context is taken out while its page is
// searched, so two concurrent requests on one scroll id do not both advance it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/scatter.h"
#include "lookalike/engine.h"

namespace lookalike::server {

struct ScrollContext {
  std::string index;
  /// The search with a sort and from = 0; its search_after is the last hit's sort values
  /// (typed, straight from the previous page's result), absent before the first hit.
  SearchRequest request;
  std::chrono::steady_clock::time_point expires;
  std::string owner;  // RequestCaller::id of the caller that opened it
  /// Cluster mode: the pages come from the coordinator (the request was prepared there once:
  /// examples resolved, images embedded), each shard going on from its own position.
  bool coordinated = false;
  cluster::Coordinator::ScrollCursor cursor;
};

class ScrollStore {
 public:
  static constexpr size_t kMaxContexts = 500;  // Elasticsearch's search.max_open_scroll_context
  /// A new id for `context`; ResourceExhausted (429) when kMaxContexts are open.
  Result<std::string> Add(ScrollContext context);
  /// Removes and returns the context when it exists and belongs to `owner` (expired ones are
  /// gone; another owner's is left in place).
  std::optional<ScrollContext> Take(const std::string& id, std::string_view owner);
  void Put(const std::string& id, ScrollContext context);
  /// Frees those of the ids that belong to `owner` ("_all": every context of `owner`); returns
  /// how many it freed.
  size_t Clear(const std::vector<std::string>& ids, std::string_view owner);

 private:
  void ExpireLocked();
  std::mutex mu_;
  std::map<std::string, ScrollContext> contexts_;  // guarded by mu_
};

/// "30s", "2m", "1h", "500ms", "1d" → duration; InvalidArgument otherwise or beyond 24 h.
Result<std::chrono::milliseconds> ParseKeepAlive(std::string_view text);

}  // namespace lookalike::server
