// A scroll page over the shards (see Coordinator::ScrollPage in scatter.h): each shard runs the
// request after its own last contributed hit, as Elasticsearch's per-shard scroll contexts do,
// so the merge of the shards' next hits is the next page of the whole order.
#include "cluster/scatter.h"
#include "cluster/search_wire.h"

namespace lookalike::cluster {

Result<SearchResult> Coordinator::ScrollPage(std::string_view expression,
                                             const SearchRequest& request, ScrollCursor* cursor,
                                             const ScatterCall& call,
                                             std::vector<ShardFailure>* failures) {
  // What the encoder refuses (an unprepared request) it refuses whatever the search_after.
  LOOKALIKE_RETURN_IF_ERROR(EncodeSearchRequest(request).status());
  Status encode_error;
  auto body_for = [&](const IndexRoutes& routes, int shard) -> std::string {
    SearchRequest page = request;
    auto at = cursor->find({routes.index, shard});
    if (at != cursor->end()) page.search_after = at->second;
    auto body = EncodeSearchRequest(page);
    if (!body.ok()) {
      encode_error = body.status();
      return std::string();
    }
    return std::move(body).value();
  };
  HitShards hit_shards;
  Result<SearchResult> page =
      ScatterSearch(expression, body_for, MergeSpecOf(request), call, failures, &hit_shards);
  LOOKALIKE_RETURN_IF_ERROR(encode_error);  // before the shards' answers to an empty body
  if (!page.ok()) return page.status();
  // The page is a prefix of every shard's own order, so its last hit from a shard is where that
  // shard goes on from.
  for (const DocumentHit& hit : page->hits) {
    auto from = hit_shards.find({hit.index, hit.id});
    if (from != hit_shards.end()) (*cursor)[{hit.index, from->second}] = hit.sort;
  }
  return page;
}

}  // namespace lookalike::cluster
