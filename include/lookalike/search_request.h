// A search or a count as C++ values: what Engine::Search and Engine::Count run.
//
// The Elasticsearch/OpenSearch codec at the edge (src/server/es/search_codec.h) builds these from
// a request body and its URL parameters, once; any other caller (the image query, a coordinator,
// a test) may build them by hand. Nothing here is JSON: queries are QueryNode trees
// (lookalike/query_dsl.h), knn vectors are floats, search_after holds typed sort values
// (lookalike/search_result.h). Nothing is bound to an index either: field types are looked up
// when the engine compiles the request for each index it searches.
//
// The engine checks (illegal_argument_exception unless said otherwise), before touching any
// index: size and from not negative; then against the target indices: from + size within the
// smallest index.max_result_window, search_after only with a sort, with from = 0 and with one
// value per sort key; knn fields, dimensions and range bounds against each index's mapping.
// The clause limit (EngineOptions::max_clause_count) is the codec's: it counts while parsing.
//
// Values are plain and copyable; a request may be shared between threads once built.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/query_dsl.h"
#include "lookalike/search_result.h"

namespace lookalike {

// SourceFilter (what a hit shows as _source) is declared in lookalike/query_dsl.h: nested knn
// inner_hits carry one.

/// One key of a sort.
struct SortKey {
  enum class Kind : uint8_t {
    kScore = 0,  // "_score": the hit's score
    kDoc = 1,    // "_doc": index order (position of the index in the request, document number)
    kField = 2,  // a numeric, date, keyword or boolean field (its first value); missing last
  };
  Kind kind = Kind::kScore;
  std::string field;  // the field name as written ("_score" / "_doc" for those kinds)
  /// Descending. Elasticsearch's defaults: _score descending, everything else ascending.
  bool desc = true;

  /// The key for `name` with Elasticsearch's default order ("_score" and "_doc" are recognised).
  static SortKey Of(std::string name) {
    SortKey key;
    key.kind = name == "_score" ? Kind::kScore : name == "_doc" ? Kind::kDoc : Kind::kField;
    key.desc = key.kind == Kind::kScore;
    key.field = std::move(name);
    return key;
  }
};

/// One requested aggregation (no sub-aggregations): terms buckets on a keyword, boolean or
/// numeric field, or a metric (min, max, avg, sum, value_count) on a numeric field. Its result is
/// the AggregationPartial of the same name and kind in SearchResult::aggregations.
struct AggRequest {
  using Kind = AggregationPartial::Kind;
  std::string name;
  Kind kind = Kind::kTerms;
  std::string field;
  int64_t size = 10;  // terms: buckets shown (1..10,000)
};

/// One "collapse.inner_hits" entry: which members of each collapsed group a hit shows
/// (DocumentHit::inner_hits). The members are the group's documents among the matches (with a
/// knn query, among its k hits), after post_filter and min_score; search_after does not apply.
struct InnerHitsRequest {
  /// The key under the hit's "inner_hits" (required, unique within the collapse).
  std::string name;
  /// The members shown, and the first one's position in the group's order. from + size must
  /// be within the smallest index.max_inner_result_window of the targets (default 100).
  int64_t size = 3;
  int64_t from = 0;
  /// The order inside the group; empty = by score descending (ties as SearchRequest::sort).
  std::vector<SortKey> sort;
  /// What each member shows as _source (default: the whole document), and whether it shows
  /// _version / _seq_no and _primary_term.
  SourceFilter source;
  bool version = false;
  bool seq_no_primary_term = false;

  bool ScoreSorted() const {
    return sort.empty() ||
           (sort.size() == 1 && sort[0].kind == SortKey::Kind::kScore && sort[0].desc);
  }
};

/// _search "collapse": {"field": NAME, "inner_hits": {…} or [{…}, …],
/// "max_concurrent_group_searches": N}.
struct CollapseRequest {
  std::string field;
  /// In request order; each collapsed hit carries one InnerHits per entry, in this order.
  std::vector<InnerHitsRequest> inner_hits;
};

/// How a linear retriever scales one child's scores before weighting them: kNone keeps them,
/// kMinMax maps the child's window to [0, 1] ((s − min) / (max − min); 1 when all are equal),
/// kL2Norm divides by the root of the sum of squares.
enum class ScoreNormalizer : uint8_t { kNone = 0, kMinMax = 1, kL2Norm = 2 };

/// Elasticsearch's `retriever` (lookalike/retrievers.h runs it): a tree whose leaves search —
/// `standard` (a query) and `knn` (one knn entry) — and whose inner nodes combine the top hits
/// of their children: `rrf` (reciprocal rank fusion), `linear` (weighted, normalised scores; the
/// OpenSearch `hybrid` query with a normalization processor is one too) and `diversify` (MMR).
struct Retriever {
  enum class Kind : uint8_t { kStandard = 0, kKnn = 1, kRrf = 2, kLinear = 3, kDiversify = 4 };
  /// How a linear node adds its children's weighted, normalised scores: Elasticsearch's
  /// linear retriever sums them; OpenSearch's normalization processor takes a weighted
  /// arithmetic, geometric or harmonic mean (weights scaled to sum to 1; a document a child did
  /// not find has 0 from it, and the geometric and harmonic means skip such children).
  enum class Combination : uint8_t { kSum = 0, kArithmeticMean, kGeometricMean, kHarmonicMean };
  Kind kind = Kind::kStandard;

  // kStandard: `query` (absent = match_all) restricted by `filter` (no score), with its own
  // sort and min_score.
  std::optional<QueryNode> query;
  std::vector<QueryNode> filter;
  std::vector<SortKey> sort;
  std::optional<double> min_score;
  // kKnn: one knn entry, as a top-level knn section entry (its k, filter, similarity).
  std::optional<KnnNode> knn;

  // kRrf, kLinear: two or more children; kDiversify: exactly one.
  std::vector<Retriever> children;
  /// How many top hits each child contributes; absent = the request's size (rrf, linear) or
  /// 10 (diversify), as in Elasticsearch. Must be ≥ the request's size.
  std::optional<int64_t> rank_window_size;
  int64_t rank_constant = 60;  // rrf: score = Σ 1 / (rank_constant + rank), ranks from 1
  std::vector<float> weights;  // linear: one per child
  std::vector<ScoreNormalizer> normalizers;  // linear: one per child
  Combination combination = Combination::kSum;
  // kDiversify (type mmr): picks `size` of the child's window greedily by
  // lambda · relevance − (1 − lambda) · max similarity to those already picked, similarity
  // being in [0, 1] by the field's metric (l2: 1 / (1 + squared distance); cosine and inner
  // product: (1 + cos) / 2); relevance is that similarity to `query_vector`, or the child's
  // min-max normalised score when none is given. The picked hits keep the child's order and
  // scores.
  std::string field;
  float lambda = 0.5f;
  std::vector<float> query_vector;
  int64_t size = 10;
};

struct SearchRequest {
  /// Elasticsearch's `retriever` (instead of query, knn, sort, collapse and search_after,
  /// which the codec refuses beside it; aggs see the union of its leaves); run by RunRetriever
  /// (lookalike/retrievers.h). Shared: a request is copied per leaf search.
  std::shared_ptr<const Retriever> retriever;
  /// The "query": absent = match_all over live documents (unless knn entries are given).
  std::optional<QueryNode> query;
  /// The Elasticsearch 8 top-level "knn" entries. Each carries its own k (the codec fills
  /// Elasticsearch's default, the request's size, when the body gave none) and ef_search
  /// (num_candidates). One entry is searched as that knn query; several as a bool of should
  /// clauses (scores summed). With a query too, the hits are the union of both and a document
  /// found by both scores the sum (Elasticsearch's hybrid default).
  std::vector<KnnNode> knn;
  /// Restricts the matches of query/knn without changing their scores. Unlike Elasticsearch,
  /// totals and aggregations see the post-filtered matches too.
  std::optional<QueryNode> post_filter;
  /// Hits returned, and the first hit's position in the full ordering. Default 10 and 0.
  int64_t size = 10;
  int64_t from = 0;
  /// What each hit's _source shows (default: the whole document).
  SourceFilter source;
  /// Sort keys in order; empty = by score descending. Ties (after the last key) break by index
  /// position in the request, then document number.
  std::vector<SortKey> sort;
  /// hits.total: -1 = count every match exactly, 0 = no total at all, N = count exactly up to N
  /// and report "gte" N beyond. Default 10,000 (Elasticsearch's).
  int64_t track_total_hits = 10000;
  /// Matches scoring below this are dropped (from hits, totals and aggregations).
  std::optional<double> min_score;
  /// Each hit shows _seq_no and _primary_term / _version.
  bool seq_no_primary_term = false;
  bool version = false;
  /// The previous page's last "sort" values (one per sort key): only hits strictly after them
  /// in the sort order are returned. Numbers for numeric, date, _score and _doc keys (a string
  /// holding a number is read as that number), strings for keyword and boolean keys, missing
  /// for a document that had no value.
  std::optional<std::vector<SortValue>> search_after;
  /// Aggregations over the matched documents, returned in this order.
  std::vector<AggRequest> aggs;
  /// Field collapsing: one hit per distinct value of a keyword, numeric, date or boolean field
  /// (its first value when it has several), the best of its group in the request's order;
  /// documents without a value form one group. from/size count groups; totals and
  /// aggregations count every match. Each hit shows the value in DocumentHit::fields. With
  /// search_after the first sort key must be the collapse field (groups are then contiguous).
  std::optional<CollapseRequest> collapse;

  /// Sorted by score alone (no sort, or only _score descending): hits carry a score and no sort
  /// values.
  bool ScoreSorted() const {
    return sort.empty() ||
           (sort.size() == 1 && sort[0].kind == SortKey::Kind::kScore && sort[0].desc);
  }
};

/// What a search is, for the metrics and the slow log: a knn search ("knn"), one whose knn is
/// restricted by a filter, a post_filter or other bool clauses ("filtered_knn"), an image query
/// (a neural query node the engine embeds, or SearchOptions::kind set by a caller that embedded
/// the image itself), any other query ("text") or none at all ("match_all").
enum class SearchKind : uint8_t { kKnn = 0, kFilteredKnn, kImage, kText, kMatchAll };
inline constexpr size_t kSearchKinds = 5;
/// "knn", "filtered_knn", "image", "text", "match_all".
std::string_view SearchKindName(SearchKind kind);
/// The kind of `request` as far as the request shows it (kImage when its query holds a neural
/// node). Walks the query tree without allocating.
SearchKind SearchKindOf(const SearchRequest& request);

/// _count: the documents `query` matches (absent = every live document). A knn query counts its
/// k hits.
struct CountRequest {
  std::optional<QueryNode> query;
};

}  // namespace lookalike
