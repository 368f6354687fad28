// Merging the partial search results of several engines (or shards) over disjoint documents into
// the result one engine holding all the documents returns. This is what the coordinator of a
// cluster calls; a single node is the cluster with one shard.
//
// Contract for exact merges:
//   * Every partial runs the same request with SearchOptions::as_shard = true, i.e. with
//     from = 0 and size = from + size, so each returns its first from + size hits; the merge
//     picks hits [from, from + size) of the combined order. search_after, min_score, _source
//     filtering and post_filter are applied by each partial.
//   * Order: by score descending (MergeSpec::sort empty), or by the sort keys with missing
//     values last in both orders. Ties are broken by (index name, _id). A single engine breaks
//     ties by index position and then document number, i.e. in write order while no document
//     number has been reused; both orders agree when documents were written in _id order and
//     none was deleted. Sorting on "_doc" is per engine and not mergeable.
//   * hits.total: the partial totals are added; with a track_total_hits limit N the result is
//     N with relation "gte" whenever any partial reached "gte" or the sum exceeds N.
//   * Aggregations: the partials' AggregationPartials (same names and kinds, in the same order)
//     are combined exactly (terms counts added key by key; min/max; sums and counts added).
//   * kNN: each engine applies k to its own documents; the merge keeps the global best
//     from + size hits, which for size <= k are the k nearest overall. Totals and aggregations
//     of a knn search then cover up to N × k candidates, not k (OpenSearch's per-shard k).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lookalike/search_request.h"
#include "lookalike/search_result.h"
#include "lookalike/status.h"

namespace lookalike {

/// What the coordinator knows from the request.
struct MergeSpec {
  struct SortKey {
    bool by_score = false;  // "_score"; otherwise a field whose values are in DocumentHit::sort
    bool descending = false;
  };
  int64_t from = 0;
  int64_t size = 10;
  /// The request's sort keys; empty (or only _score descending) = by score descending, and
  /// the hits have no sort values.
  std::vector<SortKey> sort;
  /// track_total_hits: -1 = exact (true), 0 = not tracked (false), N = count up to N.
  int64_t track_total_hits = 10000;
  /// The request's collapse field ("" = none): the merge keeps the first hit of each value of
  /// the hits' DocumentHit::fields entry of that name, and from/size count those groups. Exact
  /// because each partial returns its best from + size groups, and a group among the best
  /// from + size overall is among them in the partial holding its best hit.
  std::string collapse_field;
};

/// collapse.inner_hits across partials, in a second round. A partial reports only the groups
/// of its own best hits, so per-partial inner hits would miss members held elsewhere. Instead:
///   1. run the request without inner_hits and merge (MergeSearchResults): the page's groups;
///   2. run InnerHitsRound(request, page) on every partial with SearchOptions::as_shard: the
///      request restricted (by post_filter, which leaves scores and knn candidates alone) to
///      the page's groups, one hit per group, each with its first from + size members;
///   3. MergeInnerHits(those partials, request, &page): per group the totals added, the
///      members merged in the entry's order (ties by index name, then _id) and [from,
///      from + size) kept.
/// The result is what one engine holding every document returns, under the contract above.
SearchRequest InnerHitsRound(const SearchRequest& request, const SearchResult& page);
/// Step 3. InvalidArgument when a partial's hits lack the collapse field or inner hits.
Status MergeInnerHits(std::vector<SearchResult> partials, const SearchRequest& request,
                      SearchResult* page);

/// Merges `partials` (see the contract above). InvalidArgument when the partials disagree in
/// shape: aggregation lists that differ in names or kinds, or hits whose number of sort values
/// is not the number of sort keys. took_ms is the largest of the partials'; shard counts are
/// added.
Result<SearchResult> MergeSearchResults(std::vector<SearchResult> partials,
                                        const MergeSpec& spec);

}  // namespace lookalike
