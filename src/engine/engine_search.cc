// Search, count and get: per-index plan evaluation under the index's shared data lock, top-N
// collection (score or field sort), hit fetching with _source filtering; the typed result.
// The request arrives typed (lookalike/search_request.h, parsed by the codec at the edge); the
// response text is rendered by the server.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "common/json_writer.h"
#include "engine/aggregations.h"
#include "engine/engine_impl.h"
#include "engine/json_util.h"
#include "engine/query.h"
#include "engine/source_filter.h"

namespace lookalike::engine {
namespace {

struct Candidate {
  size_t index_i;
  uint32_t doc;
  float score;
  std::vector<SortValue> keys;  // one per sort key when not score-sorted (kField keys only)
  // The slot's incarnation when the document matched: its number may be reused by another
  // document before the hit is fetched, and that document must not be returned in its place.
  uint32_t incarnation = 0;
  SortValue group;  // the collapse field's value (SearchRequest::collapse)
};

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


// The bounded top-`want` selection over all searched indices, plus the totals. Order: score
// descending (then index position in the request and document number) or the sort keys
// (missing values last in both orders, same tie-break).
class HitCollector {
 public:
  HitCollector(const SearchRequest& req, size_t want)
      : req_(req), want_(want), score_sort_(req.ScoreSorted()), collapse_(req.collapse) {}

  bool score_sort() const { return score_sort_; }
  size_t want() const { return want_; }

  bool Better(const Candidate& a, const Candidate& b) const {
    if (!score_sort_) {
      for (size_t i = 0; i < req_.sort.size(); ++i) {
        int c = CompareKey(req_.sort[i], i, a, b);
        if (c == kMissingFirst) return true;
        if (c == kMissingSecond) return false;
        if (c != 0) return req_.sort[i].desc ? c > 0 : c < 0;
      }
    } else if (a.score != b.score) {
      return a.score > b.score;
    }
    if (a.index_i != b.index_i) return a.index_i < b.index_i;
    return a.doc < b.doc;
  }

  // Every match counts towards the total and max_score, even those search_after skips.
  void Count(float score) {
    ++total_;
    max_score_ = std::max(max_score_, score);
  }

  // Keeps a match as a candidate for the page (want() > 0). With collapse, a candidate
  // replaces its group's current one when better, so candidates_ holds one per group.
  void Offer(Candidate c) {
    if (collapse_) {
      auto [it, inserted] = group_pos_.try_emplace(SortValueKey(c.group), candidates_.size());
      if (!inserted) {
        if (Better(c, candidates_[it->second])) candidates_[it->second] = std::move(c);
        return;
      }
    }
    candidates_.push_back(std::move(c));
    if (candidates_.size() > 2 * want_ + 1024) Prune();
  }

  int64_t total() const { return total_; }
  float max_score() const { return max_score_; }

  // The hits from `from` on, best first.
  std::vector<Candidate> TakePage(int64_t from) {
    std::sort(candidates_.begin(), candidates_.end(),
              [this](const auto& a, const auto& b) { return Better(a, b); });
    if (candidates_.size() > want_) candidates_.resize(want_);
    size_t first = static_cast<size_t>(
        std::min<int64_t>(from, static_cast<int64_t>(candidates_.size())));
    candidates_.erase(candidates_.begin(), candidates_.begin() + static_cast<ptrdiff_t>(first));
    return std::move(candidates_);
  }

 private:
  // A missing value sorts last whatever the order: these two results bypass `desc`.
  static constexpr int kMissingFirst = 2, kMissingSecond = -2;

  // Keeps the best want_ candidates. A pruned group may come back with a later member: that
  // member is then worse than every kept candidate's cut and cannot reach the page, since the
  // cut only rises.
  void Prune() {
    std::nth_element(candidates_.begin(), candidates_.begin() + static_cast<ptrdiff_t>(want_) - 1,
                     candidates_.end(),
                     [this](const auto& a, const auto& b) { return Better(a, b); });
    candidates_.resize(want_);
    if (!collapse_) return;
    group_pos_.clear();
    for (size_t i = 0; i < candidates_.size(); ++i) {
      group_pos_[SortValueKey(candidates_[i].group)] = i;
    }
  }


  static int CompareKey(const SortKey& k, size_t i, const Candidate& a, const Candidate& b) {
    switch (k.kind) {
      case SortKey::Kind::kScore:
        return a.score < b.score ? -1 : (a.score > b.score ? 1 : 0);
      case SortKey::Kind::kDoc:
        if (a.index_i != b.index_i) return a.index_i < b.index_i ? -1 : 1;
        return a.doc < b.doc ? -1 : (a.doc > b.doc ? 1 : 0);
      case SortKey::Kind::kField:
        break;
    }
    const SortValue& x = a.keys[i];
    const SortValue& y = b.keys[i];
    if (x.missing() != y.missing()) return y.missing() ? kMissingFirst : kMissingSecond;
    return CompareSortValues(x, y);
  }

  const SearchRequest& req_;
  size_t want_;
  bool score_sort_;
  bool collapse_;
  std::vector<Candidate> candidates_;
  std::unordered_map<std::string, size_t> group_pos_;  // collapse: group → its candidate
  int64_t total_ = 0;
  float max_score_ = -INFINITY;
};

// The field structure of each kField sort key in `index` (null when no document has a value);
// kInvalidValue for unsortable or unmapped fields, as Elasticsearch.
Result<std::vector<const FieldIndex*>> ResolveSortFields(const Index& index,
                                                         const SearchRequest& req) {
  std::vector<const FieldIndex*> fields(req.sort.size(), nullptr);
  for (size_t i = 0; i < req.sort.size(); ++i) {
    if (req.sort[i].kind != SortKey::Kind::kField) continue;
    const std::string& name = req.sort[i].field;
    const FieldMapping* f = index.mapping.Find(name);
    if (f && (f->type == FieldType::kText || IsVector(f->type) ||
              f->type == FieldType::kObject)) {
      return IllegalArgument("Fielddata is disabled on [" + name + "] in [" + index.name +
                             "]. Text fields are not optimised for operations that require "
                             "per-document field data like aggregations and sorting, so these "
                             "operations are disabled by default. Please use a keyword field "
                             "instead.");
    }
    if (!f) return IllegalArgument("No mapping found for [" + name + "] in order to sort on");
    auto it = index.fields.find(name);
    if (it != index.fields.end()) fields[i] = it->second.get();
  }
  return fields;
}

// A search_after value as a number: numbers as they are, strings that spell a finite number
// (Elasticsearch's coercion); false (and 0) otherwise.
bool SortValueNumber(const SortValue& v, double* out) {
  *out = 0;
  switch (v.kind) {
    case SortValue::Kind::kNumber:
    case SortValue::Kind::kScore:
      if (!std::isfinite(v.number)) return false;
      *out = v.number;
      return true;
    case SortValue::Kind::kString: {
      if (v.text.empty()) return false;
      char* end = nullptr;
      double d = std::strtod(v.text.c_str(), &end);
      if (end != v.text.c_str() + v.text.size() || !std::isfinite(d)) return false;
      *out = d;
      return true;
    }
    case SortValue::Kind::kMissing:
      break;
  }
  return false;
}

// A search_after value compared with a keyword field's terms: strings as they are, numbers as
// JSON writes them (whole numbers without a fraction).
std::string SortValueText(const SortValue& v) {
  if (v.kind == SortValue::Kind::kString) return v.text;
  JsonWriter w;
  if (v.number == std::floor(v.number) && std::fabs(v.number) < 9e15) {
    w.Int(static_cast<int64_t>(v.number));
  } else {
    w.Double(v.number);
  }
  return w.Take();
}

// search_after: the previous page's last hit as a candidate, typed like this index's sort
// fields; only candidates strictly after it are kept (equal sort values are skipped, as in
// Elasticsearch, hence the advice to end the sort with a unique field).
Candidate AfterCandidate(const SearchRequest& req,
                         const std::vector<const FieldIndex*>& sort_fields) {
  Candidate after{SIZE_MAX, UINT32_MAX, 0.0f, {}};
  after.keys.resize(req.sort.size());
  const std::vector<SortValue>& values = *req.search_after;
  for (size_t i = 0; i < values.size() && i < req.sort.size(); ++i) {
    const SortKey& k = req.sort[i];
    const SortValue& v = values[i];
    double num = 0;
    bool has_num = SortValueNumber(v, &num);
    if (k.kind == SortKey::Kind::kScore) {
      after.score = static_cast<float>(num);
    } else if (k.kind == SortKey::Kind::kDoc) {
      auto packed = static_cast<uint64_t>(std::max(num, 0.0));
      after.index_i = static_cast<size_t>(packed >> 32);
      after.doc = static_cast<uint32_t>(packed & 0xffffffffu);
    } else if (!v.missing()) {
      if (sort_fields[i] != nullptr && IsNumeric(sort_fields[i]->type())) {
        if (has_num) after.keys[i] = SortValue::Number(num);
      } else {
        after.keys[i] = SortValue::String(SortValueText(v));
      }
    }
  }
  return after;
}

// The sort-field values of document `d` (kField keys; others stay missing).
// Document d's value of a sortable field (its first term for keyword and boolean fields):
// missing when `fi` is null or the document has none.
SortValue FieldValue(const FieldIndex* fi, uint32_t d) {
  if (!fi) return SortValue::Missing();
  if (IsNumeric(fi->type())) {
    double v = fi->NumberOf(d);
    return std::isnan(v) ? SortValue::Missing() : SortValue::Number(v);
  }
  const std::string* t = fi->TermOf(d);
  return t ? SortValue::String(*t) : SortValue::Missing();
}

void FillSortKeys(const std::vector<const FieldIndex*>& sort_fields, uint32_t d,
                  std::vector<SortValue>* keys) {
  keys->resize(sort_fields.size());
  for (size_t i = 0; i < sort_fields.size(); ++i) (*keys)[i] = FieldValue(sort_fields[i], d);
}

// The field structure of the collapse field in `index` (null when no document has a value, or
// no collapse); kInvalidValue for an unmapped field or one of another type.
Result<const FieldIndex*> ResolveCollapseField(const Index& index, const SearchRequest& req) {
  if (!req.collapse) return static_cast<const FieldIndex*>(nullptr);
  const std::string& name = req.collapse->field;
  const FieldMapping* f = index.mapping.Find(name);
  if (!f) return IllegalArgument("no mapping found for [" + name + "] in order to collapse on");
  if (f->type != FieldType::kKeyword && f->type != FieldType::kBoolean && !IsNumeric(f->type)) {
    return IllegalArgument("collapse is supported on keyword, numeric, date and boolean fields; [" +
                           name + "] is of type [" + std::string(FieldTypeName(f->type)) + "]");
  }
  auto it = index.fields.find(name);
  return it == index.fields.end() ? nullptr : it->second.get();
}

// Evaluates the request on one index (position `ii` among the targets) and offers its matches
// to the collectors.
Status CollectIndex(const Index& index, size_t ii, const SearchRequest& req,
                    HitCollector* hits, AggCollector* aggs) {
  std::shared_lock lock(index.data_mu);
  Matches m;
  bool knn_query = false;
  LOOKALIKE_RETURN_IF_ERROR(EvalIndex(index, req, &m, &knn_query));
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
    if (req.search_after && !hits->Better(after, c)) return;
    hits->Offer(std::move(c));
  });
  if (!req.aggs.empty()) LOOKALIKE_RETURN_IF_ERROR(aggs->Collect(index, agg_docs));
  return Status::OK();
}

// The hit's sort values as the response shows them.
std::vector<SortValue> HitSortValues(const SearchRequest& req, Candidate& c) {
  std::vector<SortValue> out;
  out.reserve(req.sort.size());
  for (size_t i = 0; i < req.sort.size(); ++i) {
    switch (req.sort[i].kind) {
      case SortKey::Kind::kScore:
        out.push_back(SortValue::Score(c.score));
        break;
      case SortKey::Kind::kDoc:
        // The index's position in the request and the document number: unique across the
        // searched indices, so search_after (and scroll) can resume after it.
        out.push_back(SortValue::Number(
            static_cast<double>((uint64_t{c.index_i} << 32) | c.doc)));
        break;
      case SortKey::Kind::kField:
        out.push_back(std::move(c.keys[i]));
        break;
    }
  }
  return out;
}

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

Result<SearchResult> EngineImpl::Search(std::string_view index_expr,
                                        const SearchRequest& original,
                                        const SearchOptions& options) {
  auto start = std::chrono::steady_clock::now();
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  LOOKALIKE_RETURN_IF_ERROR(CheckRequestShape(original));
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(index_expr, true));
  Result<SearchResult> result = SearchIndices(targets, original, options, start);
  // Every searched index counts the whole search (a search of several indices is one call).
  const SearchKind kind = options.kind.value_or(SearchKindOf(original));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& index : targets) {
    if (index->metrics) index->metrics->RecordSearch(kind, seconds, result.ok());
  }
  return result;
}

Result<SearchResult> EngineImpl::SearchIndices(
    const std::vector<std::shared_ptr<Index>>& targets, const SearchRequest& original,
    const SearchOptions& options, std::chrono::steady_clock::time_point start) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::optional<SearchRequest> resolved,
                             ResolveVectorLookups(original));
  const SearchRequest& request = resolved ? *resolved : original;
  int64_t window = 10000;
  for (const auto& idx : targets) {
    std::shared_lock lock(idx->data_mu);  // PUT _settings may replace the settings
    window = std::min(window, idx->settings.max_result_window);
  }
  LOOKALIKE_RETURN_IF_ERROR(CheckSearchWindow(request, window));
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
      LOOKALIKE_RETURN_IF_ERROR(CollectIndex(*targets[ii], ii, request, &collector, &aggs));
      continue;
    }
    // Each index may map the field to another model or size: embedded per index (once each).
    LOOKALIKE_ASSIGN_OR_RETURN(SearchRequest knn_request,
                               EmbedNeuralRequest(*targets[ii], request, &embedded));
    LOOKALIKE_RETURN_IF_ERROR(CollectIndex(*targets[ii], ii, knn_request, &collector, &aggs));
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
  }
  if (collector.total() > 0 && collector.score_sort()) result.max_score = collector.max_score();
  std::vector<Candidate> page = collector.TakePage(from);
  result.hits.reserve(page.size());
  for (Candidate& c : page) {
    DocumentHit hit;
    if (FetchHit(*store_, *targets[c.index_i], request, collector.score_sort(), c, &hit)) {
      result.hits.push_back(std::move(hit));
    }
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

Result<CountResult> EngineImpl::Count(std::string_view index_expr, const CountRequest& request) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(index_expr, true));
  CountResult result;
  NeuralEmbeddings embedded;
  for (const auto& index : targets) {
    std::optional<QueryNode> knn_query;  // the query with its neural nodes embedded
    if (request.query && request.query->HasNeural()) {
      LOOKALIKE_ASSIGN_OR_RETURN(knn_query, EmbedNeuralNodes(*index, *request.query, &embedded));
    }
    const QueryNode* query = knn_query      ? &*knn_query
                             : request.query ? &*request.query
                                             : nullptr;
    std::shared_lock lock(index->data_mu);
    Matches m;
    bool knn = false;
    LOOKALIKE_RETURN_IF_ERROR(EvalIndex(*index, query, {}, nullptr, &m, &knn));
    result.count += static_cast<int64_t>(m.bits.Count());
  }
  result.shards = AllSuccessful(targets.size());
  return result;
}

Result<StoredDocument> EngineImpl::GetDocument(std::string_view index_name, std::string_view id,
                                               const SourceFilter& filter) const {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  auto index = Find(index_name);
  if (!index) {
    LOOKALIKE_RETURN_IF_ERROR(FailedIndexStatus(index_name));
    return IndexNotFound(index_name);
  }
  uint32_t docnum = 0;
  bool found = false;
  {
    std::shared_lock lock(index->data_mu);
    auto it = index->ids.find(std::string(id));
    if (it != index->ids.end()) {
      docnum = it->second;
      found = true;
    }
  }
  // Vectors before the record: if the number was reused in between, the record's id shows it.
  std::vector<storage::StoredVector> vecs;
  if (found && filter.enabled) {
    LOOKALIKE_RETURN_IF_ERROR(store_->GetVectors(index->space, docnum, &vecs));
  }
  storage::DocRecord rec;
  if (found && !store_->GetDoc(index->space, docnum, &rec).ok()) found = false;
  if (found && rec.id != id) found = false;  // deleted, and the number reused, concurrently
  StoredDocument doc;
  doc.index = index->name;
  doc.id = std::string(id);
  if (!found) return doc;
  doc.found = true;
  doc.version = rec.version;
  doc.seq_no = rec.seq_no;
  if (filter.enabled) doc.source = FilterSource(Index::RebuildSource(rec.source, vecs), filter);
  return doc;
}

}  // namespace lookalike::engine
