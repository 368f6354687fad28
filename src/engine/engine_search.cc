// Search, count and get: body parsing, per-index plan evaluation under the index's shared data
// lock, top-N collection (score or field sort), _source filtering and the response JSON.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "common/json_writer.h"
#include "engine/aggregations.h"
#include "engine/engine_impl.h"
#include "engine/json_util.h"
#include "engine/query.h"

namespace lookalike::engine {
namespace {

// _source selection.
struct SourceFilter {
  bool enabled = true;
  std::vector<std::string> includes, excludes;
  bool Trivial() const { return includes.empty() && excludes.empty(); }
};

std::vector<std::string> SplitComma(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t c = s.find(',', start);
    if (c == std::string_view::npos) c = s.size();
    if (c > start) out.emplace_back(s.substr(start, c - start));
    start = c + 1;
  }
  return out;
}

Status ParseSourceFilter(element e, SourceFilter* f) {
  bool b;
  if (e.get_bool().get(b) == simdjson::SUCCESS) {
    f->enabled = b;
    return Status::OK();
  }
  auto strings = [](element v, std::vector<std::string>* out) -> Status {
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
      out->emplace_back(s);
      return Status::OK();
    }
    if (!v.is_array()) return ParsingError("[_source] values must be strings or arrays of strings");
    for (element x : AsArray(v)) {
      if (x.get_string().get(s) != simdjson::SUCCESS) {
        return ParsingError("[_source] values must be strings");
      }
      out->emplace_back(s);
    }
    return Status::OK();
  };
  if (e.is_object()) {
    for (auto kv : AsObject(e)) {
      if (kv.key == "includes" || kv.key == "include") {
        LOOKALIKE_RETURN_IF_ERROR(strings(kv.value, &f->includes));
      } else if (kv.key == "excludes" || kv.key == "exclude") {
        LOOKALIKE_RETURN_IF_ERROR(strings(kv.value, &f->excludes));
      } else {
        return ParsingError("[_source] unknown key [" + std::string(kv.key) + "]");
      }
    }
    return Status::OK();
  }
  return strings(e, &f->includes);
}

void ApplyUrlSource(const SearchOptions& o, SourceFilter* f) {
  if (o.source == "false") f->enabled = false;
  else if (o.source == "true") f->enabled = true;
  else if (!o.source.empty()) f->includes = SplitComma(o.source);
  if (!o.source_includes.empty()) f->includes = SplitComma(o.source_includes);
  if (!o.source_excludes.empty()) f->excludes = SplitComma(o.source_excludes);
}

bool AnyMatch(const std::vector<std::string>& patterns, const std::string& path) {
  for (const auto& p : patterns) {
    if (IndexGlob(p, path)) return true;
  }
  return false;
}

// Could an include pattern select something below `path`?
bool MayIncludeBelow(const std::vector<std::string>& patterns, const std::string& path) {
  for (const auto& p : patterns) {
    if (p.compare(0, path.size() + 1, path + ".") == 0 || p.find('*') != std::string::npos) {
      return true;
    }
  }
  return false;
}

bool FilterObject(JsonWriter& w, element obj, const std::string& prefix, bool included,
                  const SourceFilter& f) {
  bool wrote = false;
  w.BeginObject();
  for (auto kv : AsObject(obj)) {
    std::string path = prefix + std::string(kv.key);
    if (AnyMatch(f.excludes, path)) continue;
    bool inc = included || f.includes.empty() || AnyMatch(f.includes, path);
    if (kv.value.is_object() && (inc || MayIncludeBelow(f.includes, path))) {
      JsonWriter sub;
      if (FilterObject(sub, kv.value, path + ".", inc, f) || inc) {
        w.Key(kv.key).Raw(sub.str());
        wrote = true;
      }
    } else if (inc) {
      w.Key(kv.key);
      WriteElement(w, kv.value);
      wrote = true;
    }
  }
  w.EndObject();
  return wrote;
}

void WriteSource(JsonWriter& w, const std::string& source, const SourceFilter& f) {
  if (f.Trivial()) {
    w.Key("_source").Raw(source);
    return;
  }
  thread_local simdjson::dom::parser parser;
  auto parsed = ParseStoredJson(parser, source);
  if (!parsed.ok()) {
    w.Key("_source").Raw(source);
    return;
  }
  JsonWriter sub;
  FilterObject(sub, *parsed, "", false, f);
  w.Key("_source").Raw(sub.str());
}

struct SortKey {
  enum class Kind { kScore, kDoc, kField } kind = Kind::kScore;
  std::string field;
  bool desc = true;
};

struct SortValue {
  bool missing = true;
  bool is_string = false;
  double num = 0;
  std::string str;
};

struct Candidate {
  size_t index_i;
  uint32_t doc;
  float score;
  std::vector<SortValue> keys;
  // The slot's incarnation when the document matched: its number may be reused by another
  // document before the hit is fetched, and that document must not be returned in its place.
  uint32_t incarnation = 0;
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

Status ParseSortEntry(element e, std::vector<SortKey>* out) {
  SortKey key;
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    key.field = std::string(s);
  } else if (e.is_object()) {
    simdjson::dom::object obj = AsObject(e);
    if (obj.size() != 1) return ParsingError("[sort] entries must have exactly one field");
    auto kv = *obj.begin();
    key.field = std::string(kv.key);
    std::string_view order;
    if (kv.value.get_string().get(order) == simdjson::SUCCESS) {
      if (order != "asc" && order != "desc") {
        return IllegalArgument("Unknown SortOrder [" + std::string(order) + "]");
      }
      key.desc = order == "desc";
    } else if (kv.value.is_object()) {
      if (kv.value.at_key("order").get_string().get(order) == simdjson::SUCCESS) {
        if (order != "asc" && order != "desc") {
          return IllegalArgument("Unknown SortOrder [" + std::string(order) + "]");
        }
        key.desc = order == "desc";
      } else {
        key.desc = key.field == "_score";
      }
      out->push_back(key);
      out->back().kind = key.field == "_score" ? SortKey::Kind::kScore
                         : key.field == "_doc" ? SortKey::Kind::kDoc
                                               : SortKey::Kind::kField;
      return Status::OK();
    } else {
      return ParsingError("[sort] malformed entry for [" + key.field + "]");
    }
    out->push_back(key);
    out->back().kind = key.field == "_score" ? SortKey::Kind::kScore
                       : key.field == "_doc" ? SortKey::Kind::kDoc
                                             : SortKey::Kind::kField;
    return Status::OK();
  } else {
    return ParsingError("[sort] entries must be strings or objects");
  }
  key.kind = key.field == "_score" ? SortKey::Kind::kScore
             : key.field == "_doc" ? SortKey::Kind::kDoc
                                   : SortKey::Kind::kField;
  key.desc = key.kind == SortKey::Kind::kScore;
  out->push_back(key);
  return Status::OK();
}

// Everything a search request asks for, parsed once.
struct SearchRequest {
  element query;
  bool has_query = false;
  element knn;
  bool has_knn = false;
  element post_filter;
  bool has_post_filter = false;
  int64_t size = 10;
  int64_t from = 0;
  SourceFilter source;
  std::vector<SortKey> sort;
  int64_t track_limit = 10000;  // -1 = exact, 0 = do not track
  bool has_min_score = false;
  double min_score = 0;
  bool seq_no_primary_term = false;
  bool version = false;
  element search_after;  // the previous page's last "sort" values
  bool has_search_after = false;
  std::vector<AggRequest> aggs;
};

Status ParseTrackTotal(std::string_view text, int64_t* out) {
  if (text == "true") *out = -1;
  else if (text == "false") *out = 0;
  else {
    char* end = nullptr;
    std::string t(text);
    long long v = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || *end != '\0' || v < 0) {
      return IllegalArgument("[track_total_hits] must be true, false or a non-negative integer");
    }
    *out = v == 0 ? 0 : v;
  }
  return Status::OK();
}

Status ParseSearchBody(element root, const SearchOptions& options, SearchRequest* r) {
  if (!root.is_object()) return ParsingError("request body must be a JSON object");
  for (auto kv : AsObject(root)) {
    std::string_view k = kv.key;
    if (k == "query") {
      r->query = kv.value;
      r->has_query = true;
    } else if (k == "knn") {
      r->knn = kv.value;
      r->has_knn = true;
    } else if (k == "post_filter") {
      r->post_filter = kv.value;
      r->has_post_filter = true;
    } else if (k == "size" || k == "from") {
      double d;
      if (!ElementToDouble(kv.value, &d) || d != std::floor(d)) {
        return ParsingError("[" + std::string(k) + "] must be an integer");
      }
      if (d < 0) {
        return IllegalArgument("[" + std::string(k) + "] parameter cannot be negative, found [" +
                               ElementToJson(kv.value) + "]");
      }
      int64_t v = d > 2e18 ? INT64_MAX / 4 : static_cast<int64_t>(d);
      (k == "size" ? r->size : r->from) = v;
    } else if (k == "_source") {
      LOOKALIKE_RETURN_IF_ERROR(ParseSourceFilter(kv.value, &r->source));
    } else if (k == "sort") {
      if (kv.value.is_array()) {
        for (element e : AsArray(kv.value)) LOOKALIKE_RETURN_IF_ERROR(ParseSortEntry(e, &r->sort));
      } else {
        LOOKALIKE_RETURN_IF_ERROR(ParseSortEntry(kv.value, &r->sort));
      }
    } else if (k == "track_total_hits") {
      std::string t;
      if (!ElementToText(kv.value, &t)) return ParsingError("[track_total_hits] malformed");
      LOOKALIKE_RETURN_IF_ERROR(ParseTrackTotal(t, &r->track_limit));
    } else if (k == "min_score") {
      if (!ElementToDouble(kv.value, &r->min_score)) return ParsingError("[min_score] malformed");
      r->has_min_score = true;
    } else if (k == "seq_no_primary_term") {
      if (kv.value.get_bool().get(r->seq_no_primary_term)) r->seq_no_primary_term = false;
    } else if (k == "version") {
      if (kv.value.get_bool().get(r->version)) r->version = false;
    } else if (k == "aggs" || k == "aggregations") {
      LOOKALIKE_RETURN_IF_ERROR(ParseAggregations(kv.value, &r->aggs));
    } else if (k == "search_after") {
      if (!kv.value.is_array()) return ParsingError("[search_after] must be an array");
      r->search_after = kv.value;
      r->has_search_after = true;
    } else if (k == "timeout" || k == "stored_fields" || k == "docvalue_fields" ||
               k == "fields" || k == "highlight" ||
               k == "explain" || k == "track_scores" || k == "profile" || k == "ext" ||
               k == "terminate_after" || k == "rescore" ||
               k == "collapse" || k == "indices_boost" || k == "suggest" ||
               k == "script_fields" || k == "runtime_mappings" || k == "stats" ||
               k == "pit" || k == "_name") {
      continue;  // accepted and ignored
    } else {
      return ParsingError("Unknown key for a START_OBJECT in [" + std::string(k) + "].");
    }
  }
  (void)options;
  return Status::OK();
}

Status ParseUrlSort(std::string_view text, std::vector<SortKey>* out) {
  for (const auto& part : SplitComma(text)) {
    SortKey key;
    size_t colon = part.rfind(':');
    key.field = colon == std::string::npos ? part : part.substr(0, colon);
    std::string order = colon == std::string::npos ? "" : part.substr(colon + 1);
    key.kind = key.field == "_score" ? SortKey::Kind::kScore
               : key.field == "_doc" ? SortKey::Kind::kDoc
                                     : SortKey::Kind::kField;
    key.desc = order.empty() ? key.kind == SortKey::Kind::kScore : order == "desc";
    if (!order.empty() && order != "asc" && order != "desc") {
      return IllegalArgument("Unknown SortOrder [" + order + "]");
    }
    out->push_back(key);
  }
  return Status::OK();
}

int CompareValues(const SortValue& a, const SortValue& b) {
  if (a.missing || b.missing) return a.missing == b.missing ? 0 : (a.missing ? 1 : -1);
  if (a.is_string) return a.str < b.str ? -1 : (a.str > b.str ? 1 : 0);
  return a.num < b.num ? -1 : (a.num > b.num ? 1 : 0);
}

}  // namespace

namespace {

// indices.query.bool.max_clause_count over the whole request (query, knn section, post_filter),
// checked before any index is touched.
Status CheckClauseCount(const SearchRequest& req, size_t max_clause_count) {
  size_t total = 0;
  if (req.has_query) total += CountQueryClauses(req.query, max_clause_count);
  if (req.has_knn) total += CountKnnSectionClauses(req.knn, max_clause_count);
  if (req.has_post_filter) total += CountQueryClauses(req.post_filter, max_clause_count);
  if (total > max_clause_count) return TooManyClauses(max_clause_count);
  return Status::OK();
}

// Evaluates the request on one index (shared data lock held by the caller).
Status EvalIndex(const Index& index, const SearchRequest& req, Matches* out, bool* knn_query) {
  Matches q;
  bool have_q = false;
  if (req.has_query) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto query, ParseQuery(req.query, index));
    LOOKALIKE_RETURN_IF_ERROR(query->Eval(index, &q));
    *knn_query |= query->HasKnn();
    have_q = true;
  }
  if (req.has_knn) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto knn, ParseTopLevelKnn(req.knn, index, req.size));
    Matches k;
    LOOKALIKE_RETURN_IF_ERROR(knn->Eval(index, &k));
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
  if (req.has_post_filter) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto pf, ParseQuery(req.post_filter, index));
    Matches m;
    LOOKALIKE_RETURN_IF_ERROR(pf->Eval(index, &m));
    m.bits.Resize(index.slots.size());
    out->bits.And(m.bits);
  }
  return Status::OK();
}

}  // namespace

Result<std::string> EngineImpl::Search(std::string_view index_expr, std::string_view body_json,
                                       const SearchOptions& options) {
  auto start = std::chrono::steady_clock::now();
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(index_expr, true));
  thread_local simdjson::dom::parser parser;
  SearchRequest req;
  if (body_json.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    LOOKALIKE_ASSIGN_OR_RETURN(element root, ParseJson(parser, body_json));
    LOOKALIKE_RETURN_IF_ERROR(ParseSearchBody(root, options, &req));
  }
  if (options.size >= 0) req.size = options.size;
  if (options.from >= 0) req.from = options.from;
  ApplyUrlSource(options, &req.source);
  if (!options.sort.empty()) {
    req.sort.clear();
    LOOKALIKE_RETURN_IF_ERROR(ParseUrlSort(options.sort, &req.sort));
  }
  if (!options.track_total_hits.empty()) {
    LOOKALIKE_RETURN_IF_ERROR(ParseTrackTotal(options.track_total_hits, &req.track_limit));
  }
  // ?q=field:value (or *) becomes a query of its own.
  std::string q_body;
  simdjson::dom::parser q_parser;
  if (!options.q.empty() && options.q != "*" && options.q != "*:*") {
    size_t colon = options.q.find(':');
    JsonWriter w;
    if (colon == std::string::npos) {
      return IllegalArgument("only field:value query strings are supported in ?q=");
    }
    w.BeginObject().Key("match").BeginObject().Key(options.q.substr(0, colon))
        .String(options.q.substr(colon + 1)).EndObject().EndObject();
    q_body = w.Take();
    LOOKALIKE_ASSIGN_OR_RETURN(req.query, ParseJson(q_parser, q_body));
    req.has_query = true;
  }
  LOOKALIKE_RETURN_IF_ERROR(CheckClauseCount(req, options_.max_clause_count));
  int64_t window = 10000;
  for (const auto& idx : targets) window = std::min(window, idx->settings.max_result_window);
  if (req.from + req.size > window || req.size > window) {
    return IllegalArgument("Result window is too large, from + size must be less than or equal "
                           "to: [" + std::to_string(window) + "] but was [" +
                           std::to_string(req.from + req.size) +
                           "]. See the scroll api for a more efficient way to request large data "
                           "sets. This limit can be set by changing the [index.max_result_window] "
                           "index level setting.");
  }
  if (req.has_search_after) {
    if (req.sort.empty()) {
      return IllegalArgument("[search_after] needs a [sort], ideally ending in a unique field "
                             "as a tiebreaker");
    }
    if (req.from > 0) {
      return IllegalArgument("[from] parameter must be set to 0 when [search_after] is used.");
    }
    size_t n = AsArray(req.search_after).size();
    if (n != req.sort.size()) {
      return IllegalArgument("search_after has " + std::to_string(n) +
                             " value(s) but sort has " + std::to_string(req.sort.size()) + ".");
    }
  }
  size_t want = static_cast<size_t>(req.from + req.size);
  bool score_sort = req.sort.empty() || (req.sort.size() == 1 &&
                                         req.sort[0].kind == SortKey::Kind::kScore &&
                                         req.sort[0].desc);
  std::vector<Candidate> cands;
  AggCollector aggs(req.aggs);
  int64_t total = 0;
  float max_score = -INFINITY;
  bool knn_query = false;

  auto better = [&](const Candidate& a, const Candidate& b) {
    if (score_sort) {
      if (a.score != b.score) return a.score > b.score;
      if (a.index_i != b.index_i) return a.index_i < b.index_i;
      return a.doc < b.doc;
    }
    for (size_t i = 0; i < req.sort.size(); ++i) {
      const SortKey& k = req.sort[i];
      int c = 0;
      if (k.kind == SortKey::Kind::kScore) {
        c = a.score < b.score ? -1 : (a.score > b.score ? 1 : 0);
      } else if (k.kind == SortKey::Kind::kDoc) {
        c = a.index_i != b.index_i ? (a.index_i < b.index_i ? -1 : 1)
                                   : (a.doc < b.doc ? -1 : (a.doc > b.doc ? 1 : 0));
      } else {
        c = CompareValues(a.keys[i], b.keys[i]);
        if (a.keys[i].missing || b.keys[i].missing) {
          if (c != 0) return c < 0;  // missing last in both orders
          continue;
        }
      }
      if (c != 0) return k.desc ? c > 0 : c < 0;
    }
    if (a.index_i != b.index_i) return a.index_i < b.index_i;
    return a.doc < b.doc;
  };
  auto prune = [&] {
    if (want == 0) {
      cands.clear();
      return;
    }
    if (cands.size() > 2 * want + 1024) {
      std::nth_element(cands.begin(), cands.begin() + static_cast<ptrdiff_t>(want) - 1,
                       cands.end(), better);
      cands.resize(want);
    }
  };

  // Evaluate each index and collect candidates with their sources.
  struct Fetched {
    std::string source;
    int64_t version, seq_no;
    std::string id;
  };
  std::vector<std::vector<std::pair<uint32_t, Fetched>>> fetched(targets.size());
  for (size_t ii = 0; ii < targets.size(); ++ii) {
    Index& index = *targets[ii];
    std::shared_lock lock(index.data_mu);
    Matches m;
    LOOKALIKE_RETURN_IF_ERROR(EvalIndex(index, req, &m, &knn_query));
    // Field sorts: validate against the mapping.
    std::vector<const FieldIndex*> sort_fields(req.sort.size(), nullptr);
    for (size_t i = 0; i < req.sort.size(); ++i) {
      if (req.sort[i].kind != SortKey::Kind::kField) continue;
      const FieldMapping* f = index.mapping.Find(req.sort[i].field);
      if (f && (f->type == FieldType::kText || IsVector(f->type) ||
                f->type == FieldType::kObject)) {
        return IllegalArgument("Fielddata is disabled on [" + req.sort[i].field + "] in [" +
                               index.name + "]. Text fields are not optimised for operations "
                               "that require per-document field data like aggregations and "
                               "sorting, so these operations are disabled by default. Please use "
                               "a keyword field instead.");
      }
      if (!f) {
        return IllegalArgument("No mapping found for [" + req.sort[i].field +
                               "] in order to sort on");
      }
      auto it = index.fields.find(req.sort[i].field);
      if (it != index.fields.end()) sort_fields[i] = it->second.get();
    }
    // search_after: the previous page's last hit as a candidate, typed like this index's sort
    // fields; only candidates strictly after it are kept (equal sort values are skipped, as in
    // Elasticsearch, hence the advice to end the sort with a unique field).
    Candidate after{SIZE_MAX, UINT32_MAX, 0.0f, {}};
    if (req.has_search_after) {
      after.keys.resize(req.sort.size());
      size_t i = 0;
      for (element v : AsArray(req.search_after)) {
        const SortKey& k = req.sort[i];
        double num = 0;
        bool has_num = ElementToDouble(v, &num);
        if (k.kind == SortKey::Kind::kScore) {
          after.score = static_cast<float>(num);
        } else if (k.kind == SortKey::Kind::kDoc) {
          auto packed = static_cast<uint64_t>(std::max(num, 0.0));
          after.index_i = static_cast<size_t>(packed >> 32);
          after.doc = static_cast<uint32_t>(packed & 0xffffffffu);
        } else if (!v.is_null()) {
          SortValue& sv = after.keys[i];
          if (sort_fields[i] != nullptr && IsNumeric(sort_fields[i]->type())) {
            sv.missing = !has_num;
            sv.num = num;
          } else {
            sv.missing = !ElementToText(v, &sv.str);
            sv.is_string = true;
          }
        }
        ++i;
      }
    }
    Bitset agg_docs;  // the matches, for aggregations
    if (!req.aggs.empty()) agg_docs.Resize(index.slots.size());
    m.bits.ForEach([&](uint32_t d) {
      float s = m.Score(d);
      if (req.has_min_score && s < req.min_score) return;
      ++total;
      if (!req.aggs.empty() && d < agg_docs.size()) agg_docs.Set(d);
      max_score = std::max(max_score, s);
      if (want == 0) return;
      Candidate c{ii, d, s, {}, index.slots[d].incarnation};
      if (!score_sort) {
        c.keys.resize(req.sort.size());
        for (size_t i = 0; i < req.sort.size(); ++i) {
          const FieldIndex* fi = sort_fields[i];
          if (!fi) continue;
          SortValue& v = c.keys[i];
          if (IsNumeric(fi->type())) {
            v.num = fi->NumberOf(d);
            v.missing = std::isnan(v.num);
          } else if (const std::string* t = fi->TermOf(d)) {
            v.is_string = true;
            v.str = *t;
            v.missing = false;
          }
        }
      }
      if (req.has_search_after && !better(after, c)) return;
      cands.push_back(std::move(c));
      prune();
    });
    if (!req.aggs.empty()) LOOKALIKE_RETURN_IF_ERROR(aggs.Collect(index, agg_docs));
  }
  std::sort(cands.begin(), cands.end(), better);
  if (cands.size() > want) cands.resize(want);
  std::vector<Candidate> page;
  for (size_t i = static_cast<size_t>(std::min<int64_t>(req.from, static_cast<int64_t>(cands.size())));
       i < cands.size(); ++i) {
    page.push_back(std::move(cands[i]));
  }

  JsonWriter w;
  w.BeginObject().Key("took").Int(0).Key("timed_out").Bool(false);
  w.Key("_shards").BeginObject().Key("total").Int(static_cast<int64_t>(targets.size()))
      .Key("successful").Int(static_cast<int64_t>(targets.size())).Key("skipped").Int(0)
      .Key("failed").Int(0).EndObject();
  w.Key("hits").BeginObject();
  if (req.track_limit != 0) {
    bool capped = req.track_limit > 0 && total > req.track_limit;
    w.Key("total").BeginObject().Key("value").Int(capped ? req.track_limit : total)
        .Key("relation").String(capped ? "gte" : "eq").EndObject();
  }
  if (total == 0 || !score_sort) {
    w.Key("max_score").Null();
  } else {
    w.Key("max_score").Float(max_score);
  }
  w.Key("hits").BeginArray();
  for (const Candidate& c : page) {
    Index& index = *targets[c.index_i];
    storage::DocRecord rec;
    std::vector<storage::StoredVector> vecs;
    if (!req.source.enabled) {
      // Everything but the source is in memory: skip the RocksDB read (the kNN hot path).
      std::shared_lock lock(index.data_mu);
      if (!IsSameDocument(index, c, nullptr)) continue;
      const DocSlot& slot = index.slots[c.doc];
      rec.id = slot.id;
      rec.version = slot.version;
      rec.seq_no = slot.seq_no;
    } else {
      // Vectors before the record: if the number was reused in between, the record shows it.
      if (!store_->GetVectors(index.space, c.doc, &vecs).ok()) vecs.clear();
      if (!store_->GetDoc(index.space, c.doc, &rec).ok()) continue;
      std::shared_lock lock(index.data_mu);
      if (!IsSameDocument(index, c, &rec.id)) continue;
    }
    w.BeginObject().Key("_index").String(index.name).Key("_id").String(rec.id);
    if (req.version) w.Key("_version").Int(rec.version);
    if (req.seq_no_primary_term) w.Key("_seq_no").Int(rec.seq_no).Key("_primary_term").Int(1);
    if (score_sort) {
      w.Key("_score").Float(c.score);
    } else {
      w.Key("_score").Null();
    }
    if (req.source.enabled) WriteSource(w, Index::RebuildSource(rec.source, vecs), req.source);
    if (!score_sort) {
      w.Key("sort").BeginArray();
      for (size_t i = 0; i < req.sort.size(); ++i) {
        const SortKey& k = req.sort[i];
        if (k.kind == SortKey::Kind::kScore) {
          w.Float(c.score);
        } else if (k.kind == SortKey::Kind::kDoc) {
          // The index's position in the request and the document number: unique across the
          // searched indices, so search_after (and scroll) can resume after it.
          w.Int(static_cast<int64_t>((uint64_t{c.index_i} << 32) | c.doc));
        } else if (c.keys[i].missing) {
          w.Null();
        } else if (c.keys[i].is_string) {
          w.String(c.keys[i].str);
        } else if (c.keys[i].num == std::floor(c.keys[i].num) && std::fabs(c.keys[i].num) < 9e15) {
          w.Int(static_cast<int64_t>(c.keys[i].num));
        } else {
          w.Double(c.keys[i].num);
        }
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray().EndObject();  // hits
  if (!req.aggs.empty()) {
    w.Key("aggregations");
    aggs.Write(w);
  }
  w.EndObject();
  std::string out = w.Take();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start).count();
  out.replace(0, std::string("{\"took\":0").size(), "{\"took\":" + std::to_string(took));
  (void)knn_query;
  return out;
}

Result<std::string> EngineImpl::Count(std::string_view index_expr, std::string_view body_json,
                                      const SearchOptions& options) {
  LOOKALIKE_RETURN_IF_ERROR(CheckOpen());
  LOOKALIKE_ASSIGN_OR_RETURN(auto targets, Resolve(index_expr, true));
  thread_local simdjson::dom::parser parser;
  SearchRequest req;
  if (body_json.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    LOOKALIKE_ASSIGN_OR_RETURN(element root, ParseJson(parser, body_json));
    if (!root.is_object()) return ParsingError("request body must be a JSON object");
    for (auto kv : AsObject(root)) {
      if (kv.key == "query") {
        req.query = kv.value;
        req.has_query = true;
      } else {
        return ParsingError("request does not support [" + std::string(kv.key) + "]");
      }
    }
  }
  std::string q_body;
  simdjson::dom::parser q_parser;
  if (!options.q.empty() && options.q != "*" && options.q != "*:*") {
    size_t colon = options.q.find(':');
    if (colon == std::string::npos) {
      return IllegalArgument("only field:value query strings are supported in ?q=");
    }
    JsonWriter w;
    w.BeginObject().Key("match").BeginObject().Key(options.q.substr(0, colon))
        .String(options.q.substr(colon + 1)).EndObject().EndObject();
    q_body = w.Take();
    LOOKALIKE_ASSIGN_OR_RETURN(req.query, ParseJson(q_parser, q_body));
    req.has_query = true;
  }
  LOOKALIKE_RETURN_IF_ERROR(CheckClauseCount(req, options_.max_clause_count));
  int64_t count = 0;
  for (const auto& index : targets) {
    std::shared_lock lock(index->data_mu);
    Matches m;
    bool knn = false;
    LOOKALIKE_RETURN_IF_ERROR(EvalIndex(*index, req, &m, &knn));
    count += static_cast<int64_t>(m.bits.Count());
  }
  JsonWriter w;
  w.BeginObject().Key("count").Int(count).Key("_shards").BeginObject()
      .Key("total").Int(static_cast<int64_t>(targets.size()))
      .Key("successful").Int(static_cast<int64_t>(targets.size())).Key("skipped").Int(0)
      .Key("failed").Int(0).EndObject().EndObject();
  return w.Take();
}

Result<JsonResponse> EngineImpl::GetDocument(std::string_view index_name, std::string_view id,
                                             const SearchOptions& options) const {
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
  SourceFilter filter;
  ApplyUrlSource(options, &filter);
  // Vectors before the record: if the number was reused in between, the record's id shows it.
  std::vector<storage::StoredVector> vecs;
  if (found && filter.enabled) {
    LOOKALIKE_RETURN_IF_ERROR(store_->GetVectors(index->space, docnum, &vecs));
  }
  storage::DocRecord rec;
  if (found && !store_->GetDoc(index->space, docnum, &rec).ok()) found = false;
  if (found && rec.id != id) found = false;  // deleted, and the number reused, concurrently
  JsonResponse resp;
  JsonWriter w;
  w.BeginObject().Key("_index").String(index->name).Key("_id").String(id);
  if (!found) {
    w.Key("found").Bool(false).EndObject();
    resp.http_status = 404;
    resp.body = w.Take();
    return resp;
  }
  w.Key("_version").Int(rec.version).Key("_seq_no").Int(rec.seq_no).Key("_primary_term").Int(1)
      .Key("found").Bool(true);
  if (filter.enabled) WriteSource(w, Index::RebuildSource(rec.source, vecs), filter);
  w.EndObject();
  resp.body = w.Take();
  return resp;
}

}  // namespace lookalike::engine
