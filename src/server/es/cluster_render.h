// Responses of a cluster search or count (issue 9): the same bytes as search_render.h plus the
// failed shards as "_shards.failures" entries
//   {"shard":N,"index":I,"node":NODE|null,"reason":{"type":T,"reason":R}}
// (Elasticsearch's shape). Each failure's `type` must be filled by the caller from the server's
// error table (an empty one renders as "exception").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lookalike/search_result.h"
#include "lookalike/shard_failure.h"

namespace lookalike::es {

/// `leading_members` as in RenderSearchResponse (a scroll's "_scroll_id").
std::string RenderClusterSearchResponse(const SearchResult& result,
                                        const std::vector<ShardFailure>& failures,
                                        std::string_view leading_members = {});
std::string RenderClusterCountResponse(const CountResult& result,
                                       const std::vector<ShardFailure>& failures);

}  // namespace lookalike::es
