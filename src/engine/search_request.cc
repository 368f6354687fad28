// Parsing of _search and _count requests (body and URL parameters) into SearchRequest.
#include "engine/search_request.h"

#include <cmath>
#include <cstdlib>

#include "common/json_writer.h"
#include "engine/query.h"

namespace lookalike::engine {
namespace {

SortKey::Kind SortKindOf(std::string_view field) {
  return field == "_score" ? SortKey::Kind::kScore
         : field == "_doc" ? SortKey::Kind::kDoc
                           : SortKey::Kind::kField;
}

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
  SortKey key;
  std::string_view s;
  element order_spec;  // read only when has_spec: an unset element refers to no document
  bool has_spec = false;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    key.field = std::string(s);
  } else if (e.is_object()) {
    simdjson::dom::object obj = AsObject(e);
    if (obj.size() != 1) return ParsingError("[sort] entries must have exactly one field");
    auto kv = *obj.begin();
    key.field = std::string(kv.key);
    order_spec = kv.value;
    has_spec = true;
    if (!order_spec.is_string() && !order_spec.is_object()) {
      return ParsingError("[sort] malformed entry for [" + key.field + "]");
    }
  } else {
    return ParsingError("[sort] entries must be strings or objects");
  }
  key.kind = SortKindOf(key.field);
  key.desc = key.kind == SortKey::Kind::kScore;
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
    key.kind = SortKindOf(key.field);
    key.desc = key.kind == SortKey::Kind::kScore;
    if (!order.empty()) LOOKALIKE_RETURN_IF_ERROR(ParseSortOrder(order, &key.desc));
    out->push_back(std::move(key));
  }
  return Status::OK();
}


// ?q=field:value (or *) becomes a match query of its own.
Status ApplyQueryString(const SearchOptions& options, RequestBuffers* buffers,
                        SearchRequest* req) {
  if (options.q.empty() || options.q == "*" || options.q == "*:*") return Status::OK();
  size_t colon = options.q.find(':');
  if (colon == std::string::npos) {
    return IllegalArgument("only field:value query strings are supported in ?q=");
  }
  JsonWriter w;
  w.BeginObject().Key("match").BeginObject().Key(options.q.substr(0, colon))
      .String(options.q.substr(colon + 1)).EndObject().EndObject();
  buffers->q_body = w.Take();
  LOOKALIKE_ASSIGN_OR_RETURN(req->query, ParseJson(buffers->q_parser, buffers->q_body));
  req->has_query = true;
  return Status::OK();
}

bool HasContent(std::string_view body) {
  return body.find_first_not_of(" \t\r\n") != std::string_view::npos;
}

}  // namespace

Status ParseSearchRequest(std::string_view body_json, const SearchOptions& options,
                          simdjson::dom::parser& parser, RequestBuffers* buffers,
                          SearchRequest* req) {
  if (HasContent(body_json)) {
    LOOKALIKE_ASSIGN_OR_RETURN(element root, ParseJson(parser, body_json));
    LOOKALIKE_RETURN_IF_ERROR(ParseSearchBody(root, options, req));
  }
  if (options.size >= 0) req->size = options.size;
  if (options.from >= 0) req->from = options.from;
  ApplyUrlSource(options, &req->source);
  if (!options.sort.empty()) {
    req->sort.clear();
    LOOKALIKE_RETURN_IF_ERROR(ParseUrlSort(options.sort, &req->sort));
  }
  if (!options.track_total_hits.empty()) {
    LOOKALIKE_RETURN_IF_ERROR(ParseTrackTotal(options.track_total_hits, &req->track_limit));
  }
  req->knn_default_k = req->size;
  return ApplyQueryString(options, buffers, req);
}

Status ParseCountRequest(std::string_view body_json, const SearchOptions& options,
                         simdjson::dom::parser& parser, RequestBuffers* buffers,
                         SearchRequest* req) {
  if (HasContent(body_json)) {
    LOOKALIKE_ASSIGN_OR_RETURN(element root, ParseJson(parser, body_json));
    if (!root.is_object()) return ParsingError("request body must be a JSON object");
    for (auto kv : AsObject(root)) {
      if (kv.key != "query") {
        return ParsingError("request does not support [" + std::string(kv.key) + "]");
      }
      req->query = kv.value;
      req->has_query = true;
    }
  }
  return ApplyQueryString(options, buffers, req);
}

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

Status CheckSearchWindow(const SearchRequest& req, int64_t window) {
  if (req.from + req.size > window || req.size > window) {
    return IllegalArgument("Result window is too large, from + size must be less than or equal "
                           "to: [" + std::to_string(window) + "] but was [" +
                           std::to_string(req.from + req.size) +
                           "]. See the scroll api for a more efficient way to request large data "
                           "sets. This limit can be set by changing the [index.max_result_window] "
                           "index level setting.");
  }
  if (!req.has_search_after) return Status::OK();
  if (req.sort.empty()) {
    return IllegalArgument("[search_after] needs a [sort], ideally ending in a unique field "
                           "as a tiebreaker");
  }
  if (req.from > 0) {
    return IllegalArgument("[from] parameter must be set to 0 when [search_after] is used.");
  }
  size_t n = AsArray(req.search_after).size();
  if (n != req.sort.size()) {
    return IllegalArgument("search_after has " + std::to_string(n) + " value(s) but sort has " +
                           std::to_string(req.sort.size()) + ".");
  }
  return Status::OK();
}

}  // namespace lookalike::engine
