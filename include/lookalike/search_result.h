// The typed result of a search or a count (Engine::Search, Engine::Count).
//
// The engine fills these types; the Elasticsearch/OpenSearch response text is rendered once, at
// the edge (src/server/es/search_render.h). No JSON is built or parsed between the two, except
// `DocumentHit::source`, which is the document's stored JSON (data, not a response fragment).
//
// Results are also *partials*: a coordinator can merge the SearchResults of several engines over
// disjoint documents into the result one engine holding all of them would return
// (include/lookalike/search_merge.h). Everything a merge needs is therefore kept in raw form:
// the sort values of every hit, the uncapped-or-capped total with its relation, and the
// aggregations as sufficient statistics (every term's count, sums and counts instead of means).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lookalike {

/// One value of a hit's "sort" array.
struct SortValue {
  enum class Kind : uint8_t {
    kMissing = 0,  // the document has no value for the field (rendered null, sorts last)
    kNumber = 1,   // a numeric or date field, or the packed (index, document) of "_doc"
    kScore = 2,    // the hit's _score: a 32-bit float, rendered with float precision
    kString = 3,   // a keyword or boolean field (the first term of the document)
  };
  Kind kind = Kind::kMissing;
  double number = 0;  // kNumber, kScore
  std::string text;   // kString

  static SortValue Missing() { return {}; }
  static SortValue Number(double v) { return {Kind::kNumber, v, {}}; }
  static SortValue Score(float v) { return {Kind::kScore, v, {}}; }
  static SortValue String(std::string v) { return {Kind::kString, 0, std::move(v)}; }
  bool missing() const { return kind == Kind::kMissing; }
  bool operator==(const SortValue&) const = default;
};

/// Three-way comparison of two values of the same sort key in ascending order, missing values
/// last (callers keep missing last in descending order too). Numbers compare before strings
/// when a key mixes them (a field mapped differently in two indices).
int CompareSortValues(const SortValue& a, const SortValue& b);

/// Bytes that are equal exactly when the values are (kind included: 1 and "1" differ), for
/// keying maps and sets by a value, e.g. a collapse group.
std::string SortValueKey(const SortValue& v);

/// Values of one field shown with a hit under "fields".
struct HitField {
  std::string name;
  std::vector<SortValue> values;  // a missing value renders as null
  bool operator==(const HitField&) const = default;
};

struct DocumentHit;

/// Where an inner hit of a nested knn (NestedInnerHitsRequest) sits in its document: the nested
/// path and the object's position in that list (rendered "_nested": {"field", "offset"}).
struct NestedIdentity {
  std::string field;
  int64_t offset = 0;
  bool operator==(const NestedIdentity&) const = default;
};

/// A collapsed hit's "inner_hits" entry (SearchRequest::collapse's InnerHitsRequest of the same
/// name): the group's members in the entry's order, hits [from, from + size) of it. Or the
/// entry of a nested knn's inner_hits (NestedInnerHitsRequest): the document's nested objects
/// by the score of their vectors.
struct InnerHits {
  std::string name;
  /// Every member of the group (its matches), or every vector of the document that the entry
  /// lists (1 when only the best), always exact ("eq").
  int64_t total = 0;
  /// The best member score; NaN when the entry is sorted by fields.
  float max_score = std::numeric_limits<float>::quiet_NaN();
  std::vector<DocumentHit> hits;  // no inner_hits of their own; sort values as a top hit
};

/// One hit of a document search (named apart from the vector index's SearchHit, a label and a
/// distance). Fields that were not requested keep their "absent" value.
struct DocumentHit {
  static constexpr int64_t kAbsent = -1;

  std::string index;
  std::string id;
  /// NaN when the search is not sorted by score (rendered `"_score": null`).
  float score = std::numeric_limits<float>::quiet_NaN();
  /// The values the hit was sorted by, one per sort key; empty when sorted by score alone.
  std::vector<SortValue> sort;
  /// The stored document as JSON bytes, already filtered by the request's _source rules.
  bool has_source = false;
  std::string source;
  int64_t version = kAbsent;       // when "version": true
  int64_t seq_no = kAbsent;        // when "seq_no_primary_term": true
  int64_t primary_term = kAbsent;  // when "seq_no_primary_term": true
  /// Rendered under "fields": today the collapse field's value (SearchRequest::collapse), which
  /// a merge also reads to keep one hit per group.
  std::vector<HitField> fields;
  /// With collapse.inner_hits: one entry per InnerHitsRequest, in request order. With knn
  /// inner_hits on nested vector fields (never both: the engine refuses that): one entry per
  /// such knn, in request order (query tree first, then the knn section).
  std::vector<InnerHits> inner_hits;
  /// Set on the hits of a nested knn's inner_hits only.
  std::optional<NestedIdentity> nested;

  bool scored() const { return !std::isnan(score); }
};

/// hits.total. `tracked == false` when track_total_hits is false (no "total" at all).
struct TotalHits {
  enum class Relation : uint8_t { kEqual = 0, kGreaterOrEqual = 1 };  // "eq" / "gte"
  bool tracked = true;
  int64_t value = 0;
  Relation relation = Relation::kEqual;
};

/// "_shards" of a response (one shard per searched index on a single node).
struct ShardCounts {
  int64_t total = 0;
  int64_t successful = 0;
  int64_t skipped = 0;
  int64_t failed = 0;
};

/// The sufficient statistics of one requested aggregation over the matched documents.
/// Merging two partials of the same request is exact: add the maps and counts, combine
/// min/max, add the sums (in floating point: a merged sum may differ from a single engine's
/// in the last bits unless the values are exactly representable).
struct AggregationPartial {
  enum class Kind : uint8_t { kTerms, kMin, kMax, kAvg, kSum, kValueCount };
  std::string name;
  Kind kind = Kind::kTerms;
  /// terms: how many buckets the response shows (the request's "size").
  int64_t size = 10;
  /// terms: every key's document count, not only the top `size`, so a merge is exact.
  /// Keyword and boolean keys are strings, numeric keys are numbers.
  std::map<std::string, int64_t> term_counts;
  std::map<double, int64_t> number_counts;
  bool boolean_keys = false;  // boolean field: keys render as 1/0 with "key_as_string"
  /// min, max, avg, sum, value_count: the raw statistics (avg = sum / count).
  double min = 0;
  double max = 0;
  double sum = 0;
  int64_t count = 0;  // values seen (min/max/avg/sum) or counted (value_count)
};

struct SearchResult {
  int64_t took_ms = 0;
  bool timed_out = false;
  ShardCounts shards;
  TotalHits total;
  /// The highest score among the matches; NaN when nothing matched or the search is sorted by
  /// fields (rendered `"max_score": null`).
  float max_score = std::numeric_limits<float>::quiet_NaN();
  std::vector<DocumentHit> hits;
  /// One entry per requested aggregation, in request order; empty when none was requested.
  std::vector<AggregationPartial> aggregations;
  /// Set when the request held a neural query: the model that embedded its input and the time
  /// that took (rendered as the leading "embed_took" and "model" members).
  struct Embedding {
    double took_ms = 0;
    std::string model;
  };
  std::optional<Embedding> embedding;
};

/// The result of a count (_count).
struct CountResult {
  int64_t count = 0;
  ShardCounts shards;
};

}  // namespace lookalike
