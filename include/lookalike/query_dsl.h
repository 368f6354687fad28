// The query DSL as C++ values: what a search request asks for, before it is bound to an index.
//
// A QueryNode tree is what the Elasticsearch/OpenSearch codec produces from a request body
// ({"query": …}, the top-level "knn" section, "post_filter", a knn "filter") and what the
// engine compiles, once per index it searches, into an executable plan. It holds no JSON and
// knows no mapping: values are kept as the request wrote them (text, and the number it spells
// when it spells one); whether "2024-01-31" is a date, a keyword or an error is decided when the
// tree meets an index's mapping. Query vectors are floats already.
//
// Trees are plain values: copyable, comparable by structure, safe to share between threads
// once built (single children are shared_ptr<const QueryNode>, so copies share them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lookalike {

struct QueryNode;

/// Which part of each stored document a hit (or GET _doc) shows as `_source`.
struct SourceFilter {
  /// false: no _source at all (and no document read from the store for a search hit).
  bool enabled = true;
  /// Dotted paths with '*' wildcards. Empty includes = everything; excludes win over includes.
  std::vector<std::string> includes, excludes;
  /// Selects the whole document (when enabled).
  bool Trivial() const { return includes.empty() && excludes.empty(); }
  bool operator==(const SourceFilter&) const = default;
};

/// match_all (none = false) or match_none (none = true, boost ignored).
struct MatchAllNode {
  float boost = 1.0f;
  bool none = false;
};

/// ids: documents whose _id is one of `ids`.
struct IdsNode {
  std::vector<std::string> ids;
  float boost = 1.0f;
};

/// term / terms (and match on a field that is not text): any of the exact `values`, written as
/// text ("42", "true", "red"); the field's type decides how each is compared.
struct TermsNode {
  std::string field;
  std::vector<std::string> values;
  float boost = 1.0f;
};

/// One end of a range, as written in the request.
struct RangeBound {
  bool present = false;      // false: unbounded on this side
  std::string text;          // the value as text ("10", "2024-01-31", "now", "abc")
  bool is_string = false;    // written as a JSON string (dates are only parsed from strings)
  bool has_number = false;   // `number` holds what the value spells as a finite number
  double number = 0;
};

/// range on a numeric, date or keyword field.
struct RangeNode {
  std::string field;
  RangeBound lower, upper;
  bool include_lower = true;
  bool include_upper = true;
  float boost = 1.0f;
};

/// exists: documents with any value in `field` or below it.
struct ExistsNode {
  std::string field;
  float boost = 1.0f;
};

/// match: on a text field the analysed tokens of `text` (any of them, all of them when `all`, at
/// least `minimum_should_match`), scored by BM25; on any other field a term query for `text`.
struct MatchNode {
  std::string field;
  std::string text;
  bool all = false;
  int minimum_should_match = 0;
  float boost = 1.0f;
};

/// multi_match, and match_phrase (a one-field kPhrase). Each field (a path, or a pattern with `*`
/// matched against the mapping's text and keyword fields; empty = all of them) is queried as
/// match (kBestFields, kMostFields: `all`, `minimum_should_match` apply per field) or as a phrase
/// within `slop` position moves (kPhrase), its score times the field's boost. kBestFields and
/// kPhrase score a document by its best field plus `tie_breaker` times the sum of its other
/// matching fields (dis_max); kMostFields by the sum. Fields that are not text are term
/// queries for `text`.
struct MultiMatchNode {
  enum class Type : uint8_t { kBestFields = 0, kMostFields = 1, kPhrase = 2 };
  struct Field {
    std::string name;
    float boost = 1.0f;
  };
  std::vector<Field> fields;
  std::string text;
  Type type = Type::kBestFields;
  float tie_breaker = 0.0f;
  bool all = false;
  int minimum_should_match = 0;
  int slop = 0;
  float boost = 1.0f;
};

/// constant_score: the documents of `filter`, each scored `boost`.
struct ConstantScoreNode {
  std::shared_ptr<const QueryNode> filter;
  float boost = 1.0f;
};

/// bool. `minimum_should_match` as written ("2", "-1", "75%"); empty = Elasticsearch's default.
struct BoolNode {
  std::vector<QueryNode> must, filter, should, must_not;
  std::string minimum_should_match;
  float boost = 1.0f;
};

/// Approximate k nearest neighbours on a vector field: the OpenSearch knn query and each entry of
/// the Elasticsearch top-level knn section. `ef_search` 0 = the field's or index's default
/// (Elasticsearch's num_candidates is written here). `filter` restricts the candidates before
/// the search.
///
/// Radial search: OpenSearch `max_distance` (the space's distance, as the vector index computes
/// it: squared l2, 1 - cos, -dot) or `min_score` (the `_score` before boost) replace k: every
/// vector within the radius, at most the radial cap (KnnNode::kRadialCap, lowered to the index's
/// max_result_window), closest first. Elasticsearch `similarity` (the raw similarity: l2
/// distance, cosine, dot product) keeps k: the closest k within the radius. The engine searches
/// the radius (the vector index widens its search until it is exhausted), not a top-k cut.
///
/// Rescoring of compressed codes: `oversample` 0 = the index's default; >= 1: the best
/// ceil(k * oversample) code candidates are re-scored with float32 (Elasticsearch
/// rescore_vector.oversample, OpenSearch rescore.oversample_factor). `rescore` false: no float32
/// rerank (Elasticsearch oversample 0, OpenSearch rescore false).
/// Elasticsearch knn.query_vector_builder.lookup: the query vector is the stored vector at
/// `path` of document `id` in index `index` (an exact name). The document itself is not
/// excluded from the hits. The engine resolves it before searching (Engine::Search); a cluster
/// coordinator reads the vector from the shard `routing` (default: `id`) routes to
/// (lookalike/vector_builders.h).
struct VectorLookup {
  std::string index;
  std::string id;
  std::string path;
  std::optional<std::string> routing;
};

/// Lookalike's recommend builder (a documented extension, Qdrant's "average_vector" strategy):
/// the query vector is avg(positive) + (avg(positive) - avg(negative)), or avg(positive) when
/// there are no negatives, over the stored vectors at `path` of the named documents of `index`
/// (an exact name). With `exclude_examples` (the default) the example documents are left out
/// of the hits: their ids join the knn filter as a must_not.
struct VectorRecommend {
  static constexpr size_t kMaxExamples = 64;  // per list
  std::string index;
  std::string path;
  std::vector<std::string> positive;  // 1..kMaxExamples ids
  std::vector<std::string> negative;  // 0..kMaxExamples ids
  bool exclude_examples = true;
};

/// inner_hits of a knn on a nested vector field (OpenSearch `nested.inner_hits`, Elasticsearch
/// `knn.inner_hits`): which of each hit's vectors matched. Each hit then carries an InnerHits
/// entry (lookalike/search_result.h) whose hits are nested objects of that document, each with
/// DocumentHit::nested = {path, offset}, its own score (the exact float32 score of its vector,
/// times the knn boost) and the object itself as _source, best first.
struct NestedInnerHitsRequest {
  /// The key under the hit's "inner_hits"; empty = the nested path (filled by the engine).
  std::string name;
  /// The vectors shown: positions [from, from + size) in score order. from + size must be
  /// within index.max_inner_result_window.
  int64_t from = 0;
  int64_t size = 3;
  /// true: every vector of the document (Elasticsearch, OpenSearch expand_nested_docs);
  /// false: only its best one, total 1 (OpenSearch without expand_nested_docs).
  bool all_vectors = true;
  /// _source of each nested object: paths may be written in full ("crops.color") or relative
  /// to the object ("color").
  SourceFilter source;
  /// "fields": nested paths (full, "crops.color") shown under each inner hit's "fields".
  std::vector<std::string> fields;
  bool operator==(const NestedInnerHitsRequest&) const = default;
};

struct KnnNode {
  std::string field;
  std::vector<float> vector;  // empty while `lookup` or `recommend` is unresolved
  std::optional<VectorLookup> lookup;
  std::optional<VectorRecommend> recommend;
  static constexpr size_t kRadialCap = 10000;

  size_t k = 10;  // radial (max_distance / min_score): unused, the radial cap applies
  int ef_search = 0;
  float boost = 1.0f;
  std::optional<float> max_distance;
  std::optional<float> min_score;
  std::optional<float> similarity;
  float oversample = 0;
  bool rescore = true;
  std::shared_ptr<const QueryNode> filter;
  /// Nested vector fields only (the engine refuses both on a plain field): inner_hits, and
  /// OpenSearch's expand_nested_docs with score_mode avg (its default then), which scores each
  /// of the k documents by the mean score of all its vectors instead of its best one.
  std::optional<NestedInnerHitsRequest> inner_hits;
  bool score_avg = false;

  /// True for OpenSearch radial search (max_distance or min_score instead of k).
  bool IsRadial() const { return max_distance.has_value() || min_score.has_value(); }
};

/// The OpenSearch neural query: a knn query whose vector the engine makes from an input with
/// its embedding plug-in (lookalike/field_embedder.h, EngineOptions::embedder) when it meets an
/// index. `field` names a vector field ("" = the index's first vector field: an image upload
/// that names none); `model` overrides the field's mapped model. Exactly one of `image` (encoded
/// bytes) and `text` is set. The search result reports the embedding (SearchResult::embedding).
struct NeuralNode {
  std::string field;
  std::vector<uint8_t> image;
  std::string text;
  std::string model;
  size_t k = 10;
  float boost = 1.0f;
  std::shared_ptr<const QueryNode> filter;
};

struct QueryNode {
  std::variant<MatchAllNode, IdsNode, TermsNode, RangeNode, ExistsNode, MatchNode,
               ConstantScoreNode, BoolNode, KnnNode, NeuralNode, MultiMatchNode>
      node;

  /// True when the tree contains a knn or neural node (the response total then counts its hits).
  bool HasKnn() const;
  /// True when the tree contains a neural node (the engine embeds it before compiling).
  bool HasNeural() const;
};

}  // namespace lookalike
