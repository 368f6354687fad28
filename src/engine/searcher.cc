// The searcher: per-index plan evaluation under the index's shared data lock, collection into
// the hit and aggregation collectors, hit fetching with _source filtering; the typed result.
// The request arrives typed (lookalike/search_request.h, parsed by the codec at the edge); the
// response text is rendered by the server.
#include "engine/searcher.h"

#include <algorithm>

#include "engine/aggregations.h"
#include "engine/hit_collector.h"
#include "engine/inner_hits.h"
#include "engine/nested_inner_hits.h"
#include "engine/query.h"
#include "engine/source_filter.h"

namespace lookalike::engine {
namespace {

// Whether the candidate's slot still holds the document that matched (updates of it included),
// and, with `stored_id`, whether a record read from the store belongs to it: the store is
// written before memory, so it may already hold the next document of a reused number.
// Needs the index's data_mu (shared).
bool IsSameDocument(const Index& index, const Candidate& c, const std::string* stored_id) {
  if (c.doc >= index.slots.size()) return false;
  const DocSlot& slot = index.slots[c.doc];
  return slot.live && slot.incarnation == c.incarnation &&
         (stored_id == nullptr || *stored_id == slot.id);
}

// Evaluates the query, knn entries and post_filter on one index (shared data lock held by the
// caller). Any of the three may be absent.
Status EvalIndex(const Index& index, const QueryNode* query, const std::vector<KnnNode>& knn,
                 const QueryNode* post_filter, Matches* out, bool* knn_query) {
  Matches q;
  bool have_q = false;
  if (query != nullptr) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto compiled, CompileQuery(*query, index));
    LOOKALIKE_RETURN_IF_ERROR(compiled->Eval(index, &q));
    *knn_query |= compiled->HasKnn();
    have_q = true;
  }
  if (!knn.empty()) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto compiled, CompileKnnSection(knn, index));
    Matches k;
    LOOKALIKE_RETURN_IF_ERROR(compiled->Eval(index, &k));
    *knn_query = true;
    if (!have_q) {
      *out = std::move(k);
    } else {
      // Hybrid: union of both, scores summed (Elasticsearch's default combination).
      size_t n = index.slots.size();
      q.bits.Resize(n);
      k.bits.Resize(n);
      Bitset all = q.bits;
      all.Or(k.bits);
      out->bits = all;
      out->mode = Matches::Mode::kSparse;
      out->capped = q.capped || k.capped;
      all.ForEach([&](uint32_t d) {
        float s = 0;
        if (q.bits.Test(d)) s += q.Score(d);
        if (k.bits.Test(d)) s += k.Score(d);
        out->sparse[d] = s;
      });
    }
  } else if (have_q) {
    *out = std::move(q);
  } else {
    out->bits = index.live;
    out->mode = Matches::Mode::kConstant;
    out->constant = 1.0f;
  }
  out->bits.Resize(index.slots.size());
  if (post_filter != nullptr) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto pf, CompileQuery(*post_filter, index));
    Matches m;
    LOOKALIKE_RETURN_IF_ERROR(pf->Eval(index, &m));
    m.bits.Resize(index.slots.size());
    out->bits.And(m.bits);
  }
  return Status::OK();
}

Status EvalIndex(const Index& index, const SearchRequest& req, Matches* out, bool* knn_query) {
  return EvalIndex(index, req.query ? &*req.query : nullptr, req.knn,
                   req.post_filter ? &*req.post_filter : nullptr, out, knn_query);
}

// Evaluates the request on one index (position `ii` among the targets) and offers its matches
// to the collectors; `members` (null unless collapse.inner_hits) records every match's group.
Status CollectIndex(const Index& index, size_t ii, const SearchRequest& req,
                    HitCollector* hits, AggCollector* aggs, GroupMembers* members) {
  std::shared_lock lock(index.data_mu);
  Matches m;
  bool knn_query = false;
  LOOKALIKE_RETURN_IF_ERROR(EvalIndex(index, req, &m, &knn_query));
  if (m.capped) hits->MarkTotalLowerBound();
  LOOKALIKE_ASSIGN_OR_RETURN(auto sort_fields, ResolveSortFields(index, req));
  LOOKALIKE_ASSIGN_OR_RETURN(const FieldIndex* collapse_field, ResolveCollapseField(index, req));
  Candidate after;
  if (req.search_after) after = AfterCandidate(req, sort_fields);
  Bitset agg_docs;  // the matches, for aggregations
  if (!req.aggs.empty()) agg_docs.Resize(index.slots.size());
  m.bits.ForEach([&](uint32_t d) {
    float s = m.Score(d);
    if (req.min_score && s < *req.min_score) return;
    if (!req.aggs.empty() && d < agg_docs.size()) agg_docs.Set(d);
    hits->Count(s);
    if (hits->want() == 0) return;
    Candidate c{ii, d, s, {}, index.slots[d].incarnation};
    if (!hits->score_sort()) FillSortKeys(sort_fields, d, &c.keys);
    if (req.collapse) c.group = FieldValue(collapse_field, d);
    // Before search_after: a group's members are all its matches, as in Elasticsearch.
    if (members != nullptr) members->Add(SortValueKey(c.group), {ii, d, s, c.incarnation});
    if (req.search_after && !hits->Better(after, c)) return;
    hits->Offer(std::move(c));
  });
  if (!req.aggs.empty()) LOOKALIKE_RETURN_IF_ERROR(aggs->Collect(index, agg_docs));
  return Status::OK();
}

}  // namespace

// Reads what the response shows of candidate `c`; false when the document went away (deleted,
// or its number reused) since it matched.
bool FetchHit(const storage::DocStore& store, Index& index, const SearchRequest& req,
              bool score_sort, Candidate& c, DocumentHit* hit) {
  storage::DocRecord rec;
  std::vector<storage::StoredVector> vecs;
  if (!req.source.enabled) {
    // Everything but the source is in memory: skip the RocksDB read (the kNN hot path).
    std::shared_lock lock(index.data_mu);
    if (!IsSameDocument(index, c, nullptr)) return false;
    const DocSlot& slot = index.slots[c.doc];
    rec.id = slot.id;
    rec.version = slot.version;
    rec.seq_no = slot.seq_no;
  } else {
    // Vectors before the record: if the number was reused in between, the record shows it.
    if (!store.GetVectors(index.space, c.doc, &vecs).ok()) vecs.clear();
    if (!store.GetDoc(index.space, c.doc, &rec).ok()) return false;
    std::shared_lock lock(index.data_mu);
    if (!IsSameDocument(index, c, &rec.id)) return false;
  }
  hit->index = index.name;
  hit->id = std::move(rec.id);
  if (req.version) hit->version = rec.version;
  if (req.seq_no_primary_term) {
    hit->seq_no = rec.seq_no;
    hit->primary_term = 1;
  }
  if (score_sort) hit->score = c.score;
  if (req.source.enabled) {
    hit->has_source = true;
    hit->source = FilterSource(Index::RebuildSource(rec.source, vecs), req.source);
  }
  if (!score_sort) hit->sort = HitSortValues(req, c);
  if (req.collapse) hit->fields.push_back({req.collapse->field, {std::move(c.group)}});
  return true;
}

namespace {

// The checks that need the target indices: the result window (the smallest
// index.max_result_window of the targets) and the search_after shape.
Status CheckSearchWindow(const SearchRequest& req, int64_t window) {
  // Saturating: a request built in C++ may hold any non-negative values.
  const int64_t end = req.from > INT64_MAX - req.size ? INT64_MAX : req.from + req.size;
  if (end > window || req.size > window) {
    return IllegalArgument("Result window is too large, from + size must be less than or equal "
                           "to: [" + std::to_string(window) + "] but was [" +
                           std::to_string(end) +
                           "]. See the scroll api for a more efficient way to request large data "
                           "sets. This limit can be set by changing the [index.max_result_window] "
                           "index level setting.");
  }
  if (!req.search_after) return Status::OK();
  if (req.sort.empty()) {
    return IllegalArgument("[search_after] needs a [sort], ideally ending in a unique field "
                           "as a tiebreaker");
  }
  if (req.from > 0) {
    return IllegalArgument("[from] parameter must be set to 0 when [search_after] is used.");
  }
  if (req.collapse && (req.sort[0].kind != SortKey::Kind::kField ||
                       req.sort[0].field != req.collapse->field)) {
    return IllegalArgument("[search_after] with [collapse] needs the collapse field [" +
                           req.collapse->field + "] as the first sort key");
  }
  size_t n = req.search_after->size();
  if (n != req.sort.size()) {
    return IllegalArgument("search_after has " + std::to_string(n) + " value(s) but sort has " +
                           std::to_string(req.sort.size()) + ".");
  }
  return Status::OK();
}

}  // namespace

ShardCounts AllSuccessful(size_t indices) {
  ShardCounts shards;
  shards.total = shards.successful = static_cast<int64_t>(indices);
  return shards;
}

// What needs no index: a negative size or from (a request built in C++; the codec refuses
// them with its own message first).
Status CheckRequestShape(const SearchRequest& req) {
  for (auto [name, value] : {std::pair<const char*, int64_t>{"size", req.size},
                             std::pair<const char*, int64_t>{"from", req.from}}) {
    if (value < 0) {
      return IllegalArgument("[" + std::string(name) + "] parameter cannot be negative, found [" +
                             std::to_string(value) + "]");
    }
  }
  return Status::OK();
}

Result<SearchResult> Searcher::Search(const std::vector<std::shared_ptr<Index>>& targets,
                                      const SearchRequest& request, const SearchOptions& options,
                                      std::chrono::steady_clock::time_point start,
                                      const NeuralRewrite& embed_neural) const {
  int64_t window = 10000;
  int64_t inner_window = INT64_MAX;
  for (const auto& idx : targets) {
    std::shared_lock lock(idx->data_mu);  // PUT _settings may replace the settings
    window = std::min(window, idx->settings.max_result_window);
    inner_window = std::min(inner_window, idx->settings.max_inner_result_window);
  }
  LOOKALIKE_RETURN_IF_ERROR(CheckSearchWindow(request, window));
  LOOKALIKE_RETURN_IF_ERROR(CheckInnerHitsWindow(request, inner_window));
  const std::vector<const KnnNode*> nested_inner = NestedInnerHitsNodes(request);
  LOOKALIKE_RETURN_IF_ERROR(CheckNestedInnerHits(nested_inner, request, targets, inner_window));
  const bool inner_hits = request.collapse && !request.collapse->inner_hits.empty();
  GroupMembers members;
  GroupMembers* record = inner_hits ? &members : nullptr;
  // The page to collect; a shard (as_shard) returns everything up to from + size and lets the
  // coordinator pick the page from the merged results.
  int64_t from = options.as_shard ? 0 : request.from;
  int64_t want = request.from + request.size;

  HitCollector collector(request, static_cast<size_t>(want));
  AggCollector aggs(request.aggs);
  const bool neural = (request.query && request.query->HasNeural()) ||
                      (request.post_filter && request.post_filter->HasNeural());
  NeuralEmbeddings embedded;
  for (size_t ii = 0; ii < targets.size(); ++ii) {
    if (!neural) {
      LOOKALIKE_RETURN_IF_ERROR(
          CollectIndex(*targets[ii], ii, request, &collector, &aggs, record));
      continue;
    }
    // Each index may map the field to another model or size: embedded per index (once each).
    LOOKALIKE_ASSIGN_OR_RETURN(SearchRequest knn_request,
                               embed_neural(*targets[ii], request, &embedded));
    LOOKALIKE_RETURN_IF_ERROR(
        CollectIndex(*targets[ii], ii, knn_request, &collector, &aggs, record));
  }

  SearchResult result;
  result.shards = AllSuccessful(targets.size());
  const int64_t track_limit = request.track_total_hits;
  result.total.tracked = track_limit != 0;
  if (track_limit > 0 && collector.total() > track_limit) {
    result.total.value = track_limit;
    result.total.relation = TotalHits::Relation::kGreaterOrEqual;
  } else if (result.total.tracked) {
    result.total.value = collector.total();
    if (collector.total_lower_bound()) {
      result.total.relation = TotalHits::Relation::kGreaterOrEqual;
    }
  }
  if (collector.total() > 0 && collector.score_sort()) result.max_score = collector.max_score();
  std::vector<Candidate> page = collector.TakePage(from);
  result.hits.reserve(page.size());
  std::vector<std::string> group_keys;  // of each fetched hit, with inner_hits
  for (Candidate& c : page) {
    DocumentHit hit;
    std::string key = inner_hits ? SortValueKey(c.group) : std::string();
    if (FetchHit(*store_, *targets[c.index_i], request, collector.score_sort(), c, &hit)) {
      if (!nested_inner.empty()) {
        FillNestedInnerHits(*store_, *targets[c.index_i], c.doc, nested_inner, &hit);
      }
      result.hits.push_back(std::move(hit));
      if (inner_hits) group_keys.push_back(std::move(key));
    }
  }
  if (inner_hits) {
    LOOKALIKE_RETURN_IF_ERROR(
        FillInnerHits(*store_, targets, request, members, group_keys, options.as_shard,
                      &result.hits));
  }
  result.aggregations = aggs.Take();
  if (neural) result.embedding = SearchResult::Embedding{embedded.took_ms, embedded.model};
  // "took" is the search alone; the embedding of a neural input is reported as "embed_took".
  const auto embedding = std::chrono::duration<double, std::milli>(embedded.took_ms);
  result.took_ms = std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now() - start - embedding).count());
  return result;
}

Result<int64_t> Searcher::CountMatches(const Index& index, const QueryNode* query) const {
  std::shared_lock lock(index.data_mu);
  Matches m;
  bool knn = false;
  LOOKALIKE_RETURN_IF_ERROR(EvalIndex(index, query, {}, nullptr, &m, &knn));
  return static_cast<int64_t>(m.bits.Count());
}

}  // namespace lookalike::engine
