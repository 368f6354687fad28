// The "nested" query (query_parse.h ParseNestedQuery). The engine keeps nested objects flat
// except for vector fields, whose vectors are indexed one by one and searched with each
// document scored by its best vector (docs/design/engine.md "Nested vector fields"). That is
// exactly OpenSearch's nested knn query with score_mode max, so that form becomes the knn node
// it wraps; every other form would need nested documents and is refused by name.
#include <cmath>
#include <optional>

#include "server/es/query_parse.h"

namespace lookalike::es {

using engine::AsArray;
using engine::AsObject;
using engine::IllegalArgument;
using engine::ParsingError;

namespace {

// from / size of an inner_hits object: integers (a negative one is refused by the engine with
// the entry's name, as for collapse).
Status ParseInnerHitsCount(std::string_view key, element value, int64_t* out) {
  double d = 0;
  if (!engine::ElementToDouble(value, &d) || d != std::floor(d)) {
    return ParsingError("[inner_hits] [" + std::string(key) + "] must be an integer");
  }
  *out = d > 2e18 ? INT64_MAX / 4 : (d < -2e18 ? -1 : static_cast<int64_t>(d));
  return Status::OK();
}

// Whether the inner query is the Elasticsearch knn form ({"knn": {"field": F, …}}) rather
// than OpenSearch's ({"knn": {F: {…}}}).
bool ElasticsearchKnn(element inner) {
  element field;
  return inner.at_key("knn").at_key("field").get(field) == simdjson::SUCCESS &&
         field.is_string();
}

// OpenSearch's expand_nested_docs of the inner knn ({"knn": {F: {"expand_nested_docs": …}}}).
bool ExpandNestedDocs(element inner) {
  element knn, opts;
  bool expand = false;
  if (inner.at_key("knn").get(knn) != simdjson::SUCCESS || !knn.is_object()) return false;
  for (auto kv : AsObject(knn)) opts = kv.value;
  return opts.is_object() &&
         opts.at_key("expand_nested_docs").get_bool().get(expand) == simdjson::SUCCESS && expand;
}

}  // namespace

Result<NestedInnerHitsRequest> ParseNestedInnerHits(element e) {
  if (!e.is_object()) return ParsingError("[inner_hits] must be an object");
  NestedInnerHitsRequest r;
  for (auto kv : AsObject(e)) {
    std::string_view k = kv.key;
    if (k == "name") {
      std::string_view name;
      if (kv.value.get_string().get(name) != simdjson::SUCCESS || name.empty()) {
        return ParsingError("[inner_hits] [name] must be a non-empty string");
      }
      r.name = std::string(name);
    } else if (k == "size" || k == "from") {
      LOOKALIKE_RETURN_IF_ERROR(ParseInnerHitsCount(k, kv.value, k == "size" ? &r.size : &r.from));
    } else if (k == "_source") {
      LOOKALIKE_RETURN_IF_ERROR(ParseSourceFilter(kv.value, &r.source));
    } else if (k == "fields") {
      std::string_view f;
      if (!kv.value.is_array()) return ParsingError("[inner_hits] [fields] must be an array");
      for (element x : AsArray(kv.value)) {
        element field = x;
        // {"field": "crops.color"} is the object form of an entry (its "format" is ignored).
        if (x.is_object() && x.at_key("field").get(field) != simdjson::SUCCESS) {
          return ParsingError("[inner_hits] [fields] entries need a [field]");
        }
        if (field.get_string().get(f) != simdjson::SUCCESS || f.empty()) {
          return ParsingError("[inner_hits] [fields] entries must be field names");
        }
        r.fields.emplace_back(f);
      }
    } else if (k == "highlight" || k == "explain" || k == "track_scores" || k == "version" ||
               k == "seq_no_primary_term" || k == "stored_fields" || k == "docvalue_fields" ||
               k == "script_fields" || k == "ignore_unmapped") {
      continue;
    } else {
      return ParsingError("[inner_hits] unknown field [" + std::string(k) + "]");
    }
  }
  return r;
}

Result<QueryNode> ParseNestedQuery(element body) {
  if (!body.is_object()) return ParsingError("[nested] query malformed: expected an object");
  std::string_view path;
  if (body.at_key("path").get_string().get(path) != simdjson::SUCCESS || path.empty()) {
    return ParsingError("[nested] requires 'path' field");
  }
  element inner;
  if (body.at_key("query").get(inner) != simdjson::SUCCESS) {
    return ParsingError("[nested] requires 'query' field");
  }
  std::string_view mode = "avg";  // OpenSearch's default
  std::optional<NestedInnerHitsRequest> inner_hits;
  for (auto kv : AsObject(body)) {
    if (kv.key == "path" || kv.key == "query" || kv.key == "_name") continue;
    if (kv.key == "score_mode") {
      if (kv.value.get_string().get(mode) != simdjson::SUCCESS ||
          (mode != "max" && mode != "avg")) {
        return IllegalArgument("[nested] [score_mode] must be [max] or [avg]: a document is "
                               "scored by its best vector, or by the mean of all of them with "
                               "expand_nested_docs; other score modes are not supported");
      }
      continue;
    }
    if (kv.key == "inner_hits") {
      LOOKALIKE_ASSIGN_OR_RETURN(inner_hits, ParseNestedInnerHits(kv.value));
      continue;
    }
    if (kv.key == "ignore_unmapped" || kv.key == "boost") {
      return IllegalArgument("[nested] [" + std::string(kv.key) + "] is not supported");
    }
    return ParsingError("[nested] query does not support [" + std::string(kv.key) + "]");
  }
  LOOKALIKE_ASSIGN_OR_RETURN(QueryNode q, ParseQueryNode(inner));
  KnnNode* knn = std::get_if<KnnNode>(&q.node);
  const std::string prefix = std::string(path) + ".";
  if (knn == nullptr || knn->field.compare(0, prefix.size(), prefix) != 0) {
    return IllegalArgument("[nested] query on path [" + std::string(path) +
                           "] supports only a [knn] query on a vector field under [" +
                           std::string(path) + "]; nested documents for other queries are not "
                           "supported");
  }
  // Elasticsearch's inner hits show each hit's best vectors, and it scores nested knn by the
  // best one only. OpenSearch matches only each document's best vector (avg = max then) unless
  // expand_nested_docs makes every vector match: the inner hits list them all, and score_mode
  // avg (its default) scores the document by their mean.
  const bool es = ElasticsearchKnn(inner);
  const bool expand = !es && ExpandNestedDocs(inner);
  const bool all_vectors = es || expand;
  knn->score_avg = expand && mode == "avg";
  if (inner_hits) {
    inner_hits->all_vectors = all_vectors;
    if (inner_hits->name.empty()) inner_hits->name = std::string(path);
    knn->inner_hits = std::move(inner_hits);
  }
  return q;
}

}  // namespace lookalike::es
