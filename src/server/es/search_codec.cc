// Parsing of _search and _count requests (body and URL parameters) into the engine's typed
// requests; see search_codec.h.
#include "server/es/search_codec.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "engine/json_util.h"
#include "server/es/query_parse.h"
#include "server/es/retriever_parse.h"
#include "server/es/search_render.h"

namespace lookalike::es {
namespace {

using engine::AsArray;
using engine::AsObject;
using engine::element;
using engine::ElementToDouble;
using engine::ElementToJson;
using engine::ElementToText;
using engine::IllegalArgument;
using engine::ParseJson;
using engine::ParsingError;

Status ParseSortOrder(std::string_view order, bool* desc) {
  if (order != "asc" && order != "desc") {
    return IllegalArgument("Unknown SortOrder [" + std::string(order) + "]");
  }
  *desc = order == "desc";
  return Status::OK();
}

// "field", {"field":"asc"} or {"field":{"order":"desc",…}}; _score defaults to descending,
// everything else to ascending.
Status ParseSortEntry(element e, std::vector<SortKey>* out) {
  std::string field;
  std::string_view s;
  element order_spec;  // read only when has_spec: an unset element refers to no document
  bool has_spec = false;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    field = std::string(s);
  } else if (e.is_object()) {
    simdjson::dom::object obj = AsObject(e);
    if (obj.size() != 1) return ParsingError("[sort] entries must have exactly one field");
    auto kv = *obj.begin();
    field = std::string(kv.key);
    order_spec = kv.value;
    has_spec = true;
    if (!order_spec.is_string() && !order_spec.is_object()) {
      return ParsingError("[sort] malformed entry for [" + field + "]");
    }
  } else {
    return ParsingError("[sort] entries must be strings or objects");
  }
  SortKey key = SortKey::Of(std::move(field));
  std::string_view order;
  if (!has_spec) {
    // "field": the default order
  } else if (order_spec.is_string()) {
    LOOKALIKE_RETURN_IF_ERROR(ParseSortOrder(order_spec.get_string().value(), &key.desc));
  } else if (order_spec.is_object() &&
             order_spec.at_key("order").get_string().get(order) == simdjson::SUCCESS) {
    LOOKALIKE_RETURN_IF_ERROR(ParseSortOrder(order, &key.desc));
  }
  out->push_back(std::move(key));
  return Status::OK();
}

Status ParseTrackTotal(std::string_view text, int64_t* out) {
  if (text == "true") {
    *out = -1;
  } else if (text == "false") {
    *out = 0;
  } else {
    char* end = nullptr;
    std::string t(text);
    long long v = std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || *end != '\0' || v < 0) {
      return IllegalArgument("[track_total_hits] must be true, false or a non-negative integer");
    }
    *out = v;
  }
  return Status::OK();
}

// search_after values: numbers, strings, booleans (as their text) and null (missing). Anything
// else cannot match a sort value and is read as missing.
std::vector<SortValue> ParseSearchAfter(element values) {
  std::vector<SortValue> out;
  for (element v : AsArray(values)) {
    double d = 0;
    std::string text;
    if (v.is_number() && v.get_double().get(d) == simdjson::SUCCESS) {
      out.push_back(SortValue::Number(d));
    } else if (!v.is_null() && ElementToText(v, &text)) {
      out.push_back(SortValue::String(std::move(text)));
    } else {
      out.push_back(SortValue::Missing());
    }
  }
  return out;
}

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

}  // namespace

// Declared in query_parse.h: nested knn inner_hits parse a _source too.
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

namespace {


constexpr const char* kSupported = "terms, min, max, avg, sum, value_count";

bool KindFromName(std::string_view name, AggRequest::Kind* kind) {
  using K = AggRequest::Kind;
  if (name == "terms") *kind = K::kTerms;
  else if (name == "min") *kind = K::kMin;
  else if (name == "max") *kind = K::kMax;
  else if (name == "avg") *kind = K::kAvg;
  else if (name == "sum") *kind = K::kSum;
  else if (name == "value_count") *kind = K::kValueCount;
  else return false;
  return true;
}

Status ParseAggregations(element aggs, std::vector<AggRequest>* out) {
  if (!aggs.is_object()) return ParsingError("[aggs] must be an object");
  for (auto [name, def] : AsObject(aggs)) {
    if (!def.is_object()) {
      return ParsingError("Expected [START_OBJECT] under aggregation [" + std::string(name) + "]");
    }
    AggRequest r;
    r.name = std::string(name);
    bool have_type = false;
    for (auto [key, body] : AsObject(def)) {
      if (key == "aggs" || key == "aggregations") {
        return IllegalArgument("sub-aggregations are not supported (in [" + r.name + "])");
      }
      if (key == "meta") continue;
      if (have_type) {
        return ParsingError("Found two aggregation type definitions in [" + r.name + "]");
      }
      if (!KindFromName(key, &r.kind)) {
        return IllegalArgument("aggregation type [" + std::string(key) + "] of [" + r.name +
                               "] is not supported; supported: " + kSupported);
      }
      have_type = true;
      if (!body.is_object()) return ParsingError("[" + std::string(key) + "] must be an object");
      for (auto [opt, value] : AsObject(body)) {
        if (opt == "field") {
          std::string_view f;
          if (value.get_string().get(f) != simdjson::SUCCESS) {
            return ParsingError("[field] of [" + r.name + "] must be a string");
          }
          r.field = std::string(f);
        } else if (opt == "size" && r.kind == AggRequest::Kind::kTerms) {
          double d;
          if (!ElementToDouble(value, &d) || d < 1 || d > 10000 || d != std::floor(d)) {
            return IllegalArgument("[size] of [" + r.name + "] must be between 1 and 10000");
          }
          r.size = static_cast<int64_t>(d);
        } else {
          return IllegalArgument("option [" + std::string(opt) + "] of [" + r.name +
                                 "] is not supported");
        }
      }
    }
    if (!have_type) {
      return ParsingError("Missing definition for aggregation [" + r.name + "]");
    }
    if (r.field.empty()) return IllegalArgument("Required one of fields [field], in [" + r.name + "]");
    out->push_back(std::move(r));
  }
  return Status::OK();
}


// The body's members whose parse needs the URL parameters first (the knn default k is the final
// size) or the clause count first (no tree is built for a request over the limit).
struct DeferredQueries {
  element query, knn, post_filter, retriever, pipeline;
  bool has_query = false, has_knn = false, has_post_filter = false, has_retriever = false;
  bool has_pipeline = false;
};

Status ParseSizeOrFrom(std::string_view key, element value, int64_t* out) {
  double d;
  if (!ElementToDouble(value, &d) || d != std::floor(d)) {
    return ParsingError("[" + std::string(key) + "] must be an integer");
  }
  if (d < 0) {
    return IllegalArgument("[" + std::string(key) + "] parameter cannot be negative, found [" +
                           ElementToJson(value) + "]");
  }
  *out = d > 2e18 ? INT64_MAX / 4 : static_cast<int64_t>(d);
  return Status::OK();
}

// Keys that cannot change which hits come back, in which order, or how many are counted.
bool AcceptedAndIgnored(std::string_view k) {
  return k == "timeout" || k == "stored_fields" || k == "docvalue_fields" || k == "fields" ||
         k == "highlight" || k == "explain" || k == "track_scores" || k == "profile" ||
         k == "ext" || k == "suggest" || k == "script_fields" || k == "runtime_mappings" ||
         k == "stats" || k == "_name";
}

// Elasticsearch keys that would change the hits, the order or the totals and that Lookalike
// does not implement: refused by name rather than answered wrongly.
bool KnownButNotSupported(std::string_view k) {
  return k == "rescore" || k == "terminate_after" || k == "indices_boost" || k == "pit" ||
         k == "rank" || k == "slice";
}

// One "inner_hits" object of a collapse (see InnerHitsRequest). Keys that only decorate the
// members (highlight, explain, …) are accepted and ignored, as at the top level.
Status ParseInnerHitsEntry(element e, InnerHitsRequest* out) {
  if (!e.is_object()) return ParsingError("[collapse] [inner_hits] entries must be objects");
  for (auto kv : AsObject(e)) {
    std::string_view k = kv.key;
    if (k == "name") {
      std::string_view name;
      if (kv.value.get_string().get(name) != simdjson::SUCCESS || name.empty()) {
        return ParsingError("[inner_hits] [name] must be a non-empty string");
      }
      out->name = std::string(name);
    } else if (k == "size" || k == "from") {
      LOOKALIKE_RETURN_IF_ERROR(
          ParseSizeOrFrom(k, kv.value, k == "size" ? &out->size : &out->from));
    } else if (k == "sort") {
      if (kv.value.is_array()) {
        for (element s : AsArray(kv.value)) {
          LOOKALIKE_RETURN_IF_ERROR(ParseSortEntry(s, &out->sort));
        }
      } else {
        LOOKALIKE_RETURN_IF_ERROR(ParseSortEntry(kv.value, &out->sort));
      }
    } else if (k == "_source") {
      LOOKALIKE_RETURN_IF_ERROR(ParseSourceFilter(kv.value, &out->source));
    } else if (k == "version" || k == "seq_no_primary_term") {
      bool b = false;
      if (kv.value.get_bool().get(b) != simdjson::SUCCESS) {
        return ParsingError("[inner_hits] [" + std::string(k) + "] must be a boolean");
      }
      (k == "version" ? out->version : out->seq_no_primary_term) = b;
    } else if (k == "highlight" || k == "explain" || k == "track_scores" ||
               k == "stored_fields" || k == "docvalue_fields" || k == "fields" ||
               k == "script_fields" || k == "ignore_unmapped") {
      continue;
    } else {
      return ParsingError("[inner_hits] unknown field [" + std::string(k) + "]");
    }
  }
  // Elasticsearch (since 8.13) requires the name: it keys the entry in each hit.
  if (out->name.empty()) {
    return IllegalArgument("[inner_hits] must have a [name] when used with [collapse]");
  }
  return Status::OK();
}

// "inner_hits": one object or an array of them, with distinct names.
Status ParseInnerHits(element e, std::vector<InnerHitsRequest>* out) {
  if (!e.is_object() && !e.is_array()) {
    return ParsingError("[collapse] [inner_hits] must be an object or an array of objects");
  }
  std::vector<element> entries;
  if (e.is_object()) {
    entries.push_back(e);
  } else {
    for (element x : AsArray(e)) entries.push_back(x);
  }
  for (element x : entries) {
    InnerHitsRequest entry;
    LOOKALIKE_RETURN_IF_ERROR(ParseInnerHitsEntry(x, &entry));
    for (const InnerHitsRequest& other : *out) {
      if (other.name == entry.name) {
        return IllegalArgument("[inner_hits] already contains an entry for key [" + entry.name +
                               "]");
      }
    }
    out->push_back(std::move(entry));
  }
  return Status::OK();
}

// "collapse": {"field": NAME, "inner_hits": …}; "max_concurrent_group_searches" is a tuning
// knob of Elasticsearch's per-group searches (a positive integer), with no effect on the hits.
Status ParseCollapse(element e, bool scroll, SearchRequest* r) {
  if (scroll) return IllegalArgument("cannot use `collapse` in a scroll context");
  if (!e.is_object()) return ParsingError("[collapse] must be an object");
  CollapseRequest c;
  for (auto kv : AsObject(e)) {
    if (kv.key == "field") {
      std::string_view field;
      if (kv.value.get_string().get(field) != simdjson::SUCCESS || field.empty()) {
        return ParsingError("[collapse] [field] must be a non-empty string");
      }
      c.field = std::string(field);
    } else if (kv.key == "inner_hits") {
      LOOKALIKE_RETURN_IF_ERROR(ParseInnerHits(kv.value, &c.inner_hits));
    } else if (kv.key == "max_concurrent_group_searches") {
      double n = 0;
      if (!ElementToDouble(kv.value, &n) || n != std::floor(n) || n < 1) {
        return IllegalArgument("[max_concurrent_group_searches] must be a positive integer");
      }
    } else {
      return ParsingError("[collapse] unknown field [" + std::string(kv.key) + "]");
    }
  }
  if (c.field.empty()) return ParsingError("[collapse] requires [field]");
  r->collapse = std::move(c);
  return Status::OK();
}

Status ParseSearchBody(element root, const SearchParseOptions& options, SearchRequest* r,
                       DeferredQueries* deferred) {
  if (!root.is_object()) return ParsingError("request body must be a JSON object");
  for (auto kv : AsObject(root)) {
    std::string_view k = kv.key;
    if (k == "query") {
      if (options.skip_query) continue;
      deferred->query = kv.value;
      deferred->has_query = true;
    } else if (k == "knn") {
      deferred->knn = kv.value;
      deferred->has_knn = true;
    } else if (k == "post_filter") {
      deferred->post_filter = kv.value;
      deferred->has_post_filter = true;
    } else if (k == "retriever") {
      if (options.scroll) return IllegalArgument("cannot use [retriever] in a scroll context");
      deferred->retriever = kv.value;
      deferred->has_retriever = true;
    } else if (k == "search_pipeline") {  // OpenSearch's temporary pipeline, for `hybrid`
      deferred->pipeline = kv.value;
      deferred->has_pipeline = true;
    } else if (k == "size" || k == "from") {
      LOOKALIKE_RETURN_IF_ERROR(ParseSizeOrFrom(k, kv.value, k == "size" ? &r->size : &r->from));
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
      LOOKALIKE_RETURN_IF_ERROR(ParseTrackTotal(t, &r->track_total_hits));
    } else if (k == "min_score") {
      double min_score;
      if (!ElementToDouble(kv.value, &min_score)) return ParsingError("[min_score] malformed");
      r->min_score = min_score;
    } else if (k == "seq_no_primary_term") {
      if (kv.value.get_bool().get(r->seq_no_primary_term)) r->seq_no_primary_term = false;
    } else if (k == "version") {
      if (kv.value.get_bool().get(r->version)) r->version = false;
    } else if (k == "aggs" || k == "aggregations") {
      LOOKALIKE_RETURN_IF_ERROR(ParseAggregations(kv.value, &r->aggs));
    } else if (k == "search_after") {
      if (options.scroll) continue;
      if (!kv.value.is_array()) return ParsingError("[search_after] must be an array");
      r->search_after = ParseSearchAfter(kv.value);
    } else if (k == "scroll" && options.scroll) {
      continue;
    } else if (k == "collapse") {
      LOOKALIKE_RETURN_IF_ERROR(ParseCollapse(kv.value, options.scroll, r));
    } else if (AcceptedAndIgnored(k)) {
      continue;
    } else if (KnownButNotSupported(k)) {
      return IllegalArgument("[" + std::string(k) + "] is not supported by Lookalike");
    } else {
      return ParsingError("Unknown key for a START_OBJECT in [" + std::string(k) + "].");
    }
  }
  return Status::OK();
}

// The keys a retriever replaces, refused beside it as Elasticsearch does.
Status CheckBesideRetriever(const SearchRequest& r, const DeferredQueries& deferred,
                            std::string_view what) {
  const char* other = deferred.has_query || r.query ? "query"
                      : deferred.has_knn         ? "knn"
                      : deferred.has_post_filter ? "post_filter"
                      : !r.sort.empty()          ? "sort"
                      : r.search_after           ? "search_after"
                      : r.collapse               ? "collapse"
                      : r.min_score              ? "min_score"
                                                 : nullptr;
  if (other == nullptr) return Status::OK();
  return IllegalArgument("cannot specify [" + std::string(what) + "] and [" + std::string(other) +
                         "]");
}

Status ParseIntParam(const UrlParams& params, const char* name, int64_t* out) {
  const std::string* value = FindParam(params, name);
  if (value == nullptr) return Status::OK();
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(value->data(), value->data() + value->size(), v);
  if (ec != std::errc() || ptr != value->data() + value->size() || v < 0) {
    return IllegalArgument("Failed to parse int parameter [" + std::string(name) +
                           "] with value [" + *value + "]");
  }
  *out = v;
  return Status::OK();
}

Status ParseBoolParam(const UrlParams& params, const char* name, bool* out) {
  const std::string* value = FindParam(params, name);
  if (value == nullptr) return Status::OK();
  if (value->empty() || *value == "true") {
    *out = true;
  } else if (*value == "false") {
    *out = false;
  } else {
    return IllegalArgument("Failed to parse value [" + *value + "] of parameter [" +
                           std::string(name) + "], only [true] or [false] are allowed");
  }
  return Status::OK();
}

Status ParseUrlSort(std::string_view text, std::vector<SortKey>* out) {
  for (const auto& part : SplitComma(text)) {
    size_t colon = part.rfind(':');
    SortKey key = SortKey::Of(colon == std::string::npos ? part : part.substr(0, colon));
    std::string order = colon == std::string::npos ? "" : part.substr(colon + 1);
    if (!order.empty()) LOOKALIKE_RETURN_IF_ERROR(ParseSortOrder(order, &key.desc));
    out->push_back(std::move(key));
  }
  return Status::OK();
}

void ApplyUrlSource(const UrlParams& params, const std::string* source, SourceFilter* f) {
  if (source == nullptr) source = FindParam(params, "_source");
  if (source != nullptr) {
    if (*source == "false") f->enabled = false;
    else if (*source == "true") f->enabled = true;
    else if (!source->empty()) f->includes = SplitComma(*source);
  }
  const std::string* includes = FindParam(params, "_source_includes");
  if (includes != nullptr && !includes->empty()) f->includes = SplitComma(*includes);
  const std::string* excludes = FindParam(params, "_source_excludes");
  if (excludes != nullptr && !excludes->empty()) f->excludes = SplitComma(*excludes);
}

// The URL parameters that override body members (size and from are read before the body).
Status ApplyUrlParams(const UrlParams& params, SearchRequest* r) {
  ApplyUrlSource(params, nullptr, &r->source);
  if (const std::string* sort = FindParam(params, "sort"); sort != nullptr && !sort->empty()) {
    r->sort.clear();
    LOOKALIKE_RETURN_IF_ERROR(ParseUrlSort(*sort, &r->sort));
  }
  if (const std::string* t = FindParam(params, "track_total_hits"); t != nullptr && !t->empty()) {
    LOOKALIKE_RETURN_IF_ERROR(ParseTrackTotal(*t, &r->track_total_hits));
  }
  LOOKALIKE_RETURN_IF_ERROR(ParseBoolParam(params, "seq_no_primary_term", &r->seq_no_primary_term));
  return ParseBoolParam(params, "version", &r->version);
}

// ?q=field:value (or *) straight into a match query; nullopt when there is none (absent, empty,
// "*" or "*:*"), in which case the body's query stands.
Result<std::optional<QueryNode>> ParseQueryString(const UrlParams& params) {
  const std::string* q = FindParam(params, "q");
  if (q == nullptr || q->empty() || *q == "*" || *q == "*:*") return std::optional<QueryNode>();
  size_t colon = q->find(':');
  if (colon == std::string::npos) {
    return IllegalArgument("only field:value query strings are supported in ?q=");
  }
  MatchNode match;
  match.field = q->substr(0, colon);
  match.text = q->substr(colon + 1);
  QueryNode node;
  node.node = std::move(match);
  return std::optional<QueryNode>(std::move(node));
}

// The top-level knn section (an object or an array of objects) as its entries, moved out of the
// parsed tree (the vectors are not copied).
Result<std::vector<KnnNode>> ParseKnnSection(element knn, int64_t default_k) {
  LOOKALIKE_ASSIGN_OR_RETURN(QueryNode node, ParseTopLevelKnnNode(knn, default_k));
  std::vector<KnnNode> entries;
  if (auto* single = std::get_if<KnnNode>(&node.node)) {
    entries.push_back(std::move(*single));
    return entries;
  }
  for (QueryNode& entry : std::get<BoolNode>(node.node).should) {
    entries.push_back(std::move(std::get<KnnNode>(entry.node)));
  }
  return entries;
}

bool HasContent(std::string_view body) {
  return body.find_first_not_of(" \t\r\n") != std::string_view::npos;
}

// The parser is per thread: its buffers are reused by the next request on the thread.
simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

}  // namespace

const std::string* FindParam(const UrlParams& params, std::string_view name) {
  const std::string* found = nullptr;
  for (const auto& [key, value] : params) {
    if (key == name) found = &value;
  }
  return found;
}

Result<SearchRequest> ParseSearchRequest(std::string_view body, const UrlParams& params,
                                         const SearchParseOptions& options) {
  SearchRequest r;
  int64_t url_size = -1, url_from = -1;
  LOOKALIKE_RETURN_IF_ERROR(ParseIntParam(params, "size", &url_size));
  LOOKALIKE_RETURN_IF_ERROR(ParseIntParam(params, "from", &url_from));
  DeferredQueries deferred;
  bool body_size = false;
  if (HasContent(body)) {
    LOOKALIKE_ASSIGN_OR_RETURN(element root, ParseJson(ThreadParser(), body));
    LOOKALIKE_RETURN_IF_ERROR(ParseSearchBody(root, options, &r, &deferred));
    body_size = root.is_object() && root.at_key("size").error() == simdjson::SUCCESS;
  }
  if (url_size >= 0) r.size = url_size;
  if (url_from >= 0) r.from = url_from;
  LOOKALIKE_RETURN_IF_ERROR(ApplyUrlParams(params, &r));
  LOOKALIKE_ASSIGN_OR_RETURN(std::optional<QueryNode> q, ParseQueryString(params));
  if (q) deferred.has_query = false;  // ?q= replaces the body's query
  const size_t limit = options.max_clause_count;
  size_t clauses = 0;
  if (deferred.has_query) clauses += CountQueryClauses(deferred.query, limit);
  if (deferred.has_knn) clauses += CountKnnSectionClauses(deferred.knn, limit);
  if (deferred.has_post_filter) clauses += CountQueryClauses(deferred.post_filter, limit);
  if (clauses > limit) return TooManyClauses(limit);
  // A named pipeline must exist whatever the query (OpenSearch says so); it acts on hybrid only.
  const std::string* named = FindParam(params, "search_pipeline");
  std::optional<SearchPipeline> named_pipeline;
  if (named != nullptr) {
    if (!options.stored_pipeline) {
      return IllegalArgument("stored search pipelines are not available here: give the pipeline "
                             "in the request body as \"search_pipeline\": {…} (pipeline [" +
                             *named + "])");
    }
    if (deferred.has_pipeline) {
      return IllegalArgument("cannot use both the [search_pipeline] parameter and a "
                             "[search_pipeline] in the request body");
    }
    LOOKALIKE_ASSIGN_OR_RETURN(named_pipeline, options.stored_pipeline(named));
  }
  element hybrid;
  if (!q && deferred.has_query && deferred.query.at_key("hybrid").get(hybrid) == simdjson::SUCCESS &&
      AsObject(deferred.query).size() == 1) {
    // OpenSearch's hybrid query is a linear fusion of its sub-queries (a retriever here).
    deferred.has_query = false;
    if (options.scroll) return IllegalArgument("cannot use a [hybrid] query in a scroll context");
    LOOKALIKE_RETURN_IF_ERROR(CheckBesideRetriever(r, deferred, "hybrid"));
    SearchPipeline pipeline;  // the normalization-processor's defaults
    if (deferred.has_pipeline) {
      LOOKALIKE_ASSIGN_OR_RETURN(pipeline, ParseSearchPipeline(deferred.pipeline));
    } else if (named != nullptr) {
      if (named_pipeline) pipeline = std::move(*named_pipeline);
    } else if (options.stored_pipeline) {  // the index's index.search.default_pipeline
      LOOKALIKE_ASSIGN_OR_RETURN(std::optional<SearchPipeline> by_default,
                                 options.stored_pipeline(nullptr));
      if (by_default) pipeline = std::move(*by_default);
    }
    LOOKALIKE_ASSIGN_OR_RETURN(Retriever fused, ParseHybridQuery(hybrid, pipeline, r.from + r.size,
                                                                 limit, &clauses));
    r.retriever = std::make_shared<const Retriever>(std::move(fused));
    return r;
  }
  if (deferred.has_pipeline) {
    return IllegalArgument("[search_pipeline] is only supported with a [hybrid] query");
  }
  if (q) {
    r.query = std::move(*q);
  } else if (deferred.has_query) {
    LOOKALIKE_ASSIGN_OR_RETURN(r.query, ParseQueryNode(deferred.query));
    // OpenSearch answers a top-level neural query with its k hits unless a size is given.
    const auto* neural = std::get_if<NeuralNode>(&r.query->node);
    if (neural != nullptr && !body_size && url_size < 0) r.size = static_cast<int64_t>(neural->k);
  }
  if (deferred.has_knn) {
    LOOKALIKE_ASSIGN_OR_RETURN(r.knn, ParseKnnSection(deferred.knn, r.size));
  }
  if (deferred.has_post_filter) {
    LOOKALIKE_ASSIGN_OR_RETURN(r.post_filter, ParseQueryNode(deferred.post_filter));
  }
  if (deferred.has_retriever) {
    LOOKALIKE_RETURN_IF_ERROR(CheckBesideRetriever(r, deferred, "retriever"));
    LOOKALIKE_ASSIGN_OR_RETURN(
        Retriever retriever,
        ParseRetriever(deferred.retriever, r.size, limit, &ParseSortEntry, &clauses));
    r.retriever = std::make_shared<const Retriever>(std::move(retriever));
  }
  return r;
}

Result<CountRequest> ParseCountRequest(std::string_view body, const UrlParams& params,
                                       size_t max_clause_count) {
  // size and from mean nothing to a count, but a malformed one is refused as on _search.
  int64_t ignored = 0;
  LOOKALIKE_RETURN_IF_ERROR(ParseIntParam(params, "size", &ignored));
  LOOKALIKE_RETURN_IF_ERROR(ParseIntParam(params, "from", &ignored));
  CountRequest r;
  element query;
  bool has_query = false;
  if (HasContent(body)) {
    LOOKALIKE_ASSIGN_OR_RETURN(element root, ParseJson(ThreadParser(), body));
    if (!root.is_object()) return ParsingError("request body must be a JSON object");
    for (auto kv : AsObject(root)) {
      if (kv.key != "query") {
        return ParsingError("request does not support [" + std::string(kv.key) + "]");
      }
      query = kv.value;
      has_query = true;
    }
  }
  LOOKALIKE_ASSIGN_OR_RETURN(std::optional<QueryNode> q, ParseQueryString(params));
  if (q) {
    r.query = std::move(*q);
    return r;
  }
  if (!has_query) return r;
  if (CountQueryClauses(query, max_clause_count) > max_clause_count) {
    return TooManyClauses(max_clause_count);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(r.query, ParseQueryNode(query));
  return r;
}

Result<QueryNode> ParseQueryJson(std::string_view json, size_t max_clause_count) {
  simdjson::dom::parser parser;  // not the thread's: a caller may hold a body parsed with it
  LOOKALIKE_ASSIGN_OR_RETURN(element root, ParseJson(parser, json));
  if (!root.is_object()) return ParsingError("a query must be a JSON object");
  if (CountQueryClauses(root, max_clause_count) > max_clause_count) {
    return TooManyClauses(max_clause_count);
  }
  return ParseQueryNode(root);
}

SourceFilter SourceFilterFromUrl(const UrlParams& params, const std::string* source_override) {
  SourceFilter filter;
  ApplyUrlSource(params, source_override, &filter);
  return filter;
}

Result<std::string> SearchJson(Engine& engine, std::string_view index, std::string_view body,
                               const UrlParams& params) {
  SearchParseOptions options;
  options.max_clause_count = engine.MaxClauseCount();
  LOOKALIKE_ASSIGN_OR_RETURN(SearchRequest request, ParseSearchRequest(body, params, options));
  LOOKALIKE_ASSIGN_OR_RETURN(SearchResult result, engine.Search(index, request));
  return RenderSearchResponse(result);
}

Result<std::string> CountJson(Engine& engine, std::string_view index, std::string_view body,
                              const UrlParams& params) {
  LOOKALIKE_ASSIGN_OR_RETURN(CountRequest request,
                             ParseCountRequest(body, params, engine.MaxClauseCount()));
  LOOKALIKE_ASSIGN_OR_RETURN(CountResult result, engine.Count(index, request));
  return RenderCountResponse(result);
}

}  // namespace lookalike::es
