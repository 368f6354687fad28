// The server's side of the slow log (lookalike/slow_log.h): the search hook, which knows the
// request body and so can record what was slow, and GET /_lookalike/slowlog (a Lookalike
// extension: the last slow searches and writes, newest last, for the status page).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "lookalike/engine.h"
#include "server/router.h"

namespace lookalike::server {

/// "knn", "filtered_knn" (a knn clause with a filter, inside a bool, or with a post_filter),
/// "image" (a neural query_image), "match_all" (no query or match_all) or "text" (any other
/// query), read from a _search body; "text" when the body is not JSON.
std::string SearchQueryKind(std::string_view body_json);

/// Call after Engine::Search with the time the call started. Costs one atomic load when the
/// search was faster than every index's smallest threshold; otherwise records one entry per
/// searched index whose threshold the search reached. Failed searches are not logged.
/// `kind` overrides SearchQueryKind(body) when not empty (the image paths know better).
void MaybeLogSlowSearch(Engine& engine, std::string_view index_expr, std::string_view body,
                        std::chrono::steady_clock::time_point started,
                        const Result<SearchResult>& result, std::string_view kind = {});

/// GET /_lookalike/slowlog: {"entries":[{"timestamp","level","type","index","took_ms",
/// "kind","total_hits","id","source"}...]}, oldest first.
void RegisterSlowLogHandlers(Router& router, Engine& engine);

}  // namespace lookalike::server
