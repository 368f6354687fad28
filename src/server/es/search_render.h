// The Elasticsearch/OpenSearch response text of a search or count, rendered once from the
// engine's typed result (lookalike/search_result.h). Every caller that answers a client with a
// search response (the REST handlers, scroll, the image query, the CLI's local target) renders
// through these functions, so the bytes are the same everywhere.
#pragma once

#include <string>
#include <string_view>

#include "lookalike/engine.h"
#include "lookalike/search_result.h"
#include "lookalike/status.h"

namespace lookalike::es {

/// {"took","timed_out","_shards","hits":{"total","max_score","hits":[…]}[,"aggregations"]}.
/// `leading_members` is inserted verbatim as the first members of the object (already
/// serialised `"key":value` pairs, comma-separated, e.g. a scroll's "_scroll_id"). Each hit's
/// `_source` bytes are appended to the output once, not re-serialised.
std::string RenderSearchResponse(const SearchResult& result,
                                 std::string_view leading_members = {});

/// {"count":N,"_shards":{…}}.
std::string RenderCountResponse(const CountResult& result);

}  // namespace lookalike::es
