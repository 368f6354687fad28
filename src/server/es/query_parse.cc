#include "server/es/query_parse.h"

#include "server/es/text_query_parse.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/base64.h"

namespace lookalike::es {

float GetBoost(element obj) {
  double b = 1.0;
  if (obj.is_object() && obj.at_key("boost").get_double().get(b)) b = 1.0;
  return static_cast<float>(b);
}

// Splits {"FIELD": value-or-options} clauses (term, match, range, ...).
Status SingleField(element clause, std::string_view query_name, std::string* field,
                   element* body) {
  simdjson::dom::object obj;
  if (clause.get_object().get(obj) != simdjson::SUCCESS || obj.size() == 0) {
    return engine::ParsingError("[" + std::string(query_name) +
                                "] query malformed, no field specified");
  }
  int count = 0;
  for (auto kv : obj) {
    if (kv.key == "boost" || kv.key == "_name") continue;
    *field = std::string(kv.key);
    *body = kv.value;
    ++count;
  }
  if (count != 1) {
    return engine::ParsingError("[" + std::string(query_name) +
                                "] query doesn't support multiple fields, found [" +
                                std::to_string(count) + "]");
  }
  return Status::OK();
}

namespace {

using engine::AsArray;
using engine::AsObject;
using engine::ElementToDouble;
using engine::ElementToJson;
using engine::ElementToText;
using engine::IllegalArgument;
using engine::ParsingError;

constexpr int64_t kMaxK = 10000;

QueryNode Node(auto&& alternative) {
  QueryNode n;
  n.node = std::forward<decltype(alternative)>(alternative);
  return n;
}

std::shared_ptr<const QueryNode> Shared(QueryNode&& n) {
  return std::make_shared<const QueryNode>(std::move(n));
}

Status ValueText(element v, std::string* out, std::string_view query) {
  if (!ElementToText(v, out)) {
    return ParsingError("[" + std::string(query) + "] query does not support an object or array "
                        "value here");
  }
  return Status::OK();
}

// The vector's syntax: a non-empty array of finite numbers. Its dimension and metric are
// checked against the field when the query is compiled.
Status ParseVector(element v, std::vector<float>* out) {
  simdjson::dom::array arr;
  if (v.get_array().get(arr) != simdjson::SUCCESS) {
    return ParsingError("[knn] query vector must be an array of numbers");
  }
  out->clear();
  out->reserve(arr.size());
  for (element x : arr) {
    double d;
    if (x.get_double().get(d) != simdjson::SUCCESS || !std::isfinite(static_cast<float>(d))) {
      return IllegalArgument("[knn] query vector values must be finite numbers");
    }
    out->push_back(static_cast<float>(d));
  }
  if (out->empty()) return IllegalArgument("[knn] query vector must not be empty");
  return Status::OK();
}

Result<int64_t> GetPositive(element obj, std::string_view key, int64_t def, int64_t max,
                            std::string_view what) {
  element v;
  if (obj.at_key(key).get(v) != simdjson::SUCCESS) return def;
  double d;
  if (!ElementToDouble(v, &d) || d != std::floor(d)) {
    return ParsingError("[" + std::string(what) + "] [" + std::string(key) +
                        "] must be an integer");
  }
  if (d < 1 || d > static_cast<double>(max)) {
    return IllegalArgument("[" + std::string(key) + "] must be between 1 and " +
                           std::to_string(max) + " in [" + std::string(what) + "], got " +
                           ElementToJson(v));
  }
  return static_cast<int64_t>(d);
}

// A knn filter: one query, or an array of them that must all match.
Result<std::shared_ptr<const QueryNode>> ParseFilterClause(element f) {
  if (f.is_array()) {
    BoolNode b;
    for (element x : AsArray(f)) {
      LOOKALIKE_ASSIGN_OR_RETURN(QueryNode q, ParseQueryNode(x));
      b.filter.push_back(std::move(q));
    }
    return Shared(Node(std::move(b)));
  }
  LOOKALIKE_ASSIGN_OR_RETURN(QueryNode q, ParseQueryNode(f));
  return Shared(std::move(q));
}

Status ParseOptionalFilter(element body, KnnNode* knn) {
  element filter;
  if (body.at_key("filter").get(filter) == simdjson::SUCCESS && !filter.is_null()) {
    LOOKALIKE_ASSIGN_OR_RETURN(knn->filter, ParseFilterClause(filter));
  }
  return Status::OK();
}

// An optional float key: absent → nullopt; present but not a finite number → 400.
Result<std::optional<float>> GetOptionalFloat(element obj, std::string_view key,
                                              std::string_view what) {
  element v;
  if (obj.at_key(key).get(v) != simdjson::SUCCESS) return std::optional<float>();
  double d;
  if (!ElementToDouble(v, &d) || !std::isfinite(static_cast<float>(d))) {
    return ParsingError("[" + std::string(what) + "] [" + std::string(key) +
                        "] must be a number, got " + ElementToJson(v));
  }
  return std::optional<float>(static_cast<float>(d));
}

// OpenSearch "rescore": false (no float32 rerank), true (oversample_factor 1.0) or
// {"oversample_factor": F} with F in [1, 100].
Status ParseOpenSearchRescore(element rescore, KnnNode* q) {
  bool flag;
  if (rescore.get_bool().get(flag) == simdjson::SUCCESS) {
    q->rescore = flag;
    if (flag) q->oversample = 1.0f;
    return Status::OK();
  }
  if (!rescore.is_object()) {
    return ParsingError("[knn] [rescore] must be a boolean or an object");
  }
  for (auto kv : AsObject(rescore)) {
    if (kv.key != "oversample_factor") {
      return ParsingError("[rescore] unknown field [" + std::string(kv.key) + "]");
    }
  }
  LOOKALIKE_ASSIGN_OR_RETURN(auto factor,
                             GetOptionalFloat(rescore, "oversample_factor", "rescore"));
  if (!factor) return Status::OK();  // the index's default factor
  if (*factor < 1.0f || *factor > 100.0f) {
    return IllegalArgument("[rescore] [oversample_factor] must be between 1.0 and 100.0, got " +
                           std::to_string(*factor));
  }
  q->oversample = *factor;
  return Status::OK();
}

// OpenSearch radial search: exactly one of k, max_distance, min_score.
Status ParseKOrRadius(element opts, KnnNode* q) {
  LOOKALIKE_ASSIGN_OR_RETURN(q->max_distance, GetOptionalFloat(opts, "max_distance", "knn"));
  LOOKALIKE_ASSIGN_OR_RETURN(q->min_score, GetOptionalFloat(opts, "min_score", "knn"));
  element kel;
  const bool has_k = opts.at_key("k").get(kel) == simdjson::SUCCESS;
  if (int(has_k) + int(q->max_distance.has_value()) + int(q->min_score.has_value()) != 1) {
    return IllegalArgument("[knn] requires exactly one of k, distance or score to be set");
  }
  if (q->min_score && *q->min_score <= 0) {
    return IllegalArgument("[knn] requires score to be greater than 0");
  }
  if (has_k) {
    LOOKALIKE_ASSIGN_OR_RETURN(int64_t k, GetPositive(opts, "k", 10, kMaxK, "knn"));
    q->k = static_cast<size_t>(k);
  }
  return Status::OK();
}

Result<QueryNode> ParseOpenSearchKnn(element body) {
  KnnNode q;
  element opts;
  LOOKALIKE_RETURN_IF_ERROR(SingleField(body, "knn", &q.field, &opts));
  if (!opts.is_object()) return ParsingError("[knn] query malformed: expected an object");
  element vec;
  if (opts.at_key("vector").get(vec) != simdjson::SUCCESS) {
    return ParsingError("[knn] requires [vector]");
  }
  for (auto kv : AsObject(opts)) {
    if (kv.key != "vector" && kv.key != "k" && kv.key != "filter" && kv.key != "boost" &&
        kv.key != "method_parameters" && kv.key != "_name" && kv.key != "rescore" &&
        kv.key != "expand_nested_docs" && kv.key != "max_distance" && kv.key != "min_score") {
      return ParsingError("[knn] unknown field [" + std::string(kv.key) + "]");
    }
  }
  element expand;
  if (opts.at_key("expand_nested_docs").get(expand) == simdjson::SUCCESS && !expand.is_bool()) {
    return ParsingError("[knn] [expand_nested_docs] must be a boolean");
  }
  LOOKALIKE_RETURN_IF_ERROR(ParseVector(vec, &q.vector));
  LOOKALIKE_RETURN_IF_ERROR(ParseKOrRadius(opts, &q));
  q.boost = GetBoost(opts);
  element mp;
  if (opts.at_key("method_parameters").get(mp) == simdjson::SUCCESS) {
    LOOKALIKE_ASSIGN_OR_RETURN(int64_t ef, GetPositive(mp, "ef_search", 0, 100000, "knn"));
    q.ef_search = static_cast<int>(ef);
  }
  element rescore;
  if (opts.at_key("rescore").get(rescore) == simdjson::SUCCESS) {
    LOOKALIKE_RETURN_IF_ERROR(ParseOpenSearchRescore(rescore, &q));
  }
  LOOKALIKE_RETURN_IF_ERROR(ParseOptionalFilter(opts, &q));
  return Node(std::move(q));
}

// The OpenSearch neural query: {"neural":{FIELD:{"query_image":B64 | "query_text":T, "k":K,
// "filter":F, "model_id":M}}}. The engine embeds it (lookalike/field_embedder.h).
Result<QueryNode> ParseNeural(element body) {
  NeuralNode q;
  element clause;
  if (!body.is_object()) return ParsingError("[neural] query must name exactly one field");
  size_t fields = 0;
  for (auto kv : AsObject(body)) {
    ++fields;
    q.field = std::string(kv.key);
    clause = kv.value;
    if (!clause.is_object()) {
      return ParsingError("[neural] query for field [" + q.field + "] must be an object");
    }
  }
  if (fields != 1) return ParsingError("[neural] query must name exactly one field");
  for (auto [key, value] : AsObject(clause)) {
    std::string_view text;
    if (key == "query_image") {
      if (value.get(text) != simdjson::SUCCESS) {
        return ParsingError("[neural] query_image must be a string");
      }
      LOOKALIKE_ASSIGN_OR_RETURN(q.image, DecodeImageBase64(text));
    } else if (key == "query_text") {
      if (value.get(text) != simdjson::SUCCESS || text.empty()) {
        return ParsingError("[neural] query_text must be a non-empty string");
      }
      q.text = std::string(text);
    } else if (key == "k") {
      int64_t k = 0;
      if (value.get(k) != simdjson::SUCCESS || k < 1 || k > kMaxK) {
        return IllegalArgument("[neural] k must be an integer in [1, " + std::to_string(kMaxK) +
                               "]");
      }
      q.k = static_cast<size_t>(k);
    } else if (key == "filter") {
      if (!value.is_object()) return ParsingError("[neural] filter must be an object");
      LOOKALIKE_ASSIGN_OR_RETURN(QueryNode filter, ParseQueryNode(value));
      q.filter = Shared(std::move(filter));
    } else if (key == "model_id") {
      if (value.get(text) != simdjson::SUCCESS) {
        return ParsingError("[neural] model_id must be a string");
      }
      q.model = std::string(text);
    } else if (key == "boost") {
      q.boost = GetBoost(clause);
    } else if (key != "_name") {
      return ParsingError("[neural] unknown parameter [" + std::string(key) + "]");
    }
  }
  if (q.image.empty() && q.text.empty()) {
    return ParsingError("[neural] query for [" + q.field + "] needs query_image");
  }
  if (!q.image.empty() && !q.text.empty()) {
    return ParsingError("[neural] query for [" + q.field +
                        "] takes query_image or query_text, not both");
  }
  return Node(std::move(q));
}

Status ParseClauseList(element value, std::vector<QueryNode>* list) {
  if (value.is_array()) {
    for (element x : AsArray(value)) {
      LOOKALIKE_ASSIGN_OR_RETURN(QueryNode q, ParseQueryNode(x));
      list->push_back(std::move(q));
    }
    return Status::OK();
  }
  LOOKALIKE_ASSIGN_OR_RETURN(QueryNode q, ParseQueryNode(value));
  list->push_back(std::move(q));
  return Status::OK();
}

Result<QueryNode> ParseBool(element body) {
  if (!body.is_object()) return ParsingError("[bool] query malformed");
  BoolNode b;
  for (auto kv : AsObject(body)) {
    std::vector<QueryNode>* list = nullptr;
    if (kv.key == "must") list = &b.must;
    else if (kv.key == "filter") list = &b.filter;
    else if (kv.key == "should") list = &b.should;
    else if (kv.key == "must_not") list = &b.must_not;
    else if (kv.key == "minimum_should_match") {
      if (!ElementToText(kv.value, &b.minimum_should_match)) {
        return ParsingError("[bool] minimum_should_match must be a number or string");
      }
      continue;
    } else if (kv.key == "boost") {
      b.boost = GetBoost(body);
      continue;
    } else if (kv.key == "_name" || kv.key == "adjust_pure_negative") {
      continue;
    } else {
      return ParsingError("[bool] query does not support [" + std::string(kv.key) + "]");
    }
    LOOKALIKE_RETURN_IF_ERROR(ParseClauseList(kv.value, list));
  }
  return Node(std::move(b));
}

// A non-null bound replaces the side's value; whether it parses as the field's type is
// decided at compile time.
Status ParseBound(element v, RangeBound* bound) {
  if (v.is_null()) return Status::OK();
  RangeBound b;
  b.present = true;
  LOOKALIKE_RETURN_IF_ERROR(ValueText(v, &b.text, "range"));
  b.is_string = v.is_string();
  b.has_number = ElementToDouble(v, &b.number);
  *bound = std::move(b);
  return Status::OK();
}

Result<QueryNode> ParseRange(element body) {
  RangeNode r;
  element opts;
  LOOKALIKE_RETURN_IF_ERROR(SingleField(body, "range", &r.field, &opts));
  if (!opts.is_object()) return ParsingError("[range] query malformed, expected an object");
  for (auto kv : AsObject(opts)) {
    if (kv.key == "gte" || kv.key == "from") {
      LOOKALIKE_RETURN_IF_ERROR(ParseBound(kv.value, &r.lower));
    } else if (kv.key == "gt") {
      LOOKALIKE_RETURN_IF_ERROR(ParseBound(kv.value, &r.lower));
      r.include_lower = false;
    } else if (kv.key == "lte" || kv.key == "to") {
      LOOKALIKE_RETURN_IF_ERROR(ParseBound(kv.value, &r.upper));
    } else if (kv.key == "lt") {
      LOOKALIKE_RETURN_IF_ERROR(ParseBound(kv.value, &r.upper));
      r.include_upper = false;
    } else if (kv.key == "include_lower") {
      if (kv.value.get_bool().get(r.include_lower)) r.include_lower = true;
    } else if (kv.key == "include_upper") {
      if (kv.value.get_bool().get(r.include_upper)) r.include_upper = true;
    } else if (kv.key != "boost" && kv.key != "format" && kv.key != "time_zone" &&
               kv.key != "relation" && kv.key != "_name") {
      return ParsingError("[range] query does not support [" + std::string(kv.key) + "]");
    }
  }
  r.boost = GetBoost(opts);
  return Node(std::move(r));
}

Result<QueryNode> ParseIds(element body) {
  element values;
  if (body.at_key("values").get(values) != simdjson::SUCCESS || !values.is_array()) {
    return ParsingError("[ids] query malformed, [values] must be an array");
  }
  IdsNode ids;
  for (element v : AsArray(values)) {
    std::string s;
    LOOKALIKE_RETURN_IF_ERROR(ValueText(v, &s, "ids"));
    ids.ids.push_back(std::move(s));
  }
  ids.boost = GetBoost(body);
  return Node(std::move(ids));
}

Result<QueryNode> ParseTerms(element body, std::string_view type) {
  TermsNode t;
  element v;
  LOOKALIKE_RETURN_IF_ERROR(SingleField(body, type, &t.field, &v));
  t.boost = GetBoost(body);
  if (type == "term") {
    if (v.is_object()) {
      t.boost = GetBoost(v);
      if (v.at_key("value").get(v) != simdjson::SUCCESS) {
        return ParsingError("[term] query malformed, no [value] for field [" + t.field + "]");
      }
    }
    std::string s;
    LOOKALIKE_RETURN_IF_ERROR(ValueText(v, &s, "term"));
    t.values.push_back(std::move(s));
  } else {
    if (!v.is_array()) return ParsingError("[terms] query requires an array of values");
    for (element x : AsArray(v)) {
      std::string s;
      LOOKALIKE_RETURN_IF_ERROR(ValueText(x, &s, "terms"));
      t.values.push_back(std::move(s));
    }
  }
  return Node(std::move(t));
}

Result<QueryNode> ParseConstantScore(element body) {
  element f;
  if (body.at_key("filter").get(f) != simdjson::SUCCESS) {
    return ParsingError("[constant_score] requires a 'filter' element");
  }
  ConstantScoreNode c;
  LOOKALIKE_ASSIGN_OR_RETURN(QueryNode inner, ParseQueryNode(f));
  c.filter = Shared(std::move(inner));
  c.boost = GetBoost(body);
  return Node(std::move(c));
}

}  // namespace

Result<QueryNode> ParseQueryNode(element q) {
  simdjson::dom::object obj;
  // obj is only read once get_object succeeded: a default dom::object has no document behind it.
  if (q.get_object().get(obj) != simdjson::SUCCESS) {
    return ParsingError("[_na] query malformed, must start with start_object");
  }
  if (obj.size() != 1) {
    return ParsingError(obj.size() == 0 ? "query malformed, empty clause found"
                                        : "[_na] query malformed, must start with start_object");
  }
  auto kv = *obj.begin();
  std::string_view type = kv.key;
  element body = kv.value;
  if (type == "match_all") return Node(MatchAllNode{GetBoost(body), false});
  if (type == "match_none") return Node(MatchAllNode{0.0f, true});
  if (type == "bool") return ParseBool(body);
  if (type == "knn") {
    // Elasticsearch 8.12+ writes the field as a member ({"field": F, "query_vector": …, "k":
    // …}); OpenSearch as the key ({F: {"vector": …}}). k defaults to 10 (Elasticsearch: the
    // request's size, which a query clause cannot see).
    element field;
    if (body.is_object() && body.at_key("field").get(field) == simdjson::SUCCESS &&
        field.is_string()) {
      return ParseTopLevelKnnNode(body, 10);
    }
    return ParseOpenSearchKnn(body);
  }
  if (type == "neural") return ParseNeural(body);
  if (type == "range") return ParseRange(body);
  if (type == "match") return ParseMatch(body);
  if (type == "match_phrase") return ParseMatchPhrase(body);
  if (type == "multi_match") return ParseMultiMatch(body);
  if (type == "ids") return ParseIds(body);
  if (type == "term" || type == "terms") return ParseTerms(body, type);
  if (type == "exists") {
    std::string_view field;
    if (body.at_key("field").get_string().get(field) != simdjson::SUCCESS) {
      return ParsingError("[exists] must be provided with a [field]");
    }
    return Node(ExistsNode{std::string(field), GetBoost(body)});
  }
  if (type == "constant_score") return ParseConstantScore(body);
  if (type == "nested") return ParseNestedQuery(body);
  return ParsingError("unknown query [" + std::string(type) + "]");
}

namespace {

// A list of 0..kMaxExamples non-empty document ids ("positive" / "negative" of recommend).
Status ParseExampleIds(element value, std::string_view name, std::vector<std::string>* out) {
  simdjson::dom::array ids;
  if (value.get_array().get(ids) != simdjson::SUCCESS) {
    return ParsingError("[recommend] [" + std::string(name) + "] must be an array of ids");
  }
  for (element id : ids) {
    std::string_view text;
    if (id.get_string().get(text) != simdjson::SUCCESS || text.empty()) {
      return ParsingError("[recommend] [" + std::string(name) + "] must hold non-empty strings");
    }
    if (out->size() == VectorRecommend::kMaxExamples) {
      return IllegalArgument("[recommend] [" + std::string(name) + "] holds more than " +
                             std::to_string(VectorRecommend::kMaxExamples) + " ids");
    }
    out->emplace_back(text);
  }
  return Status::OK();
}

// "recommend": {"index": I, "path": P, "positive": [ids], "negative": [ids],
// "exclude_examples": bool} (Lookalike's extension, see VectorRecommend).
Status ParseRecommend(element body, KnnNode* q) {
  if (!body.is_object()) return ParsingError("[query_vector_builder] [recommend] must be an object");
  VectorRecommend r;
  for (auto kv : AsObject(body)) {
    std::string_view text;
    if (kv.key == "index" || kv.key == "path") {
      if (kv.value.get_string().get(text) != simdjson::SUCCESS || text.empty()) {
        return ParsingError("[recommend] [" + std::string(kv.key) + "] must be a non-empty string");
      }
      (kv.key == "index" ? r.index : r.path).assign(text);
    } else if (kv.key == "positive" || kv.key == "negative") {
      LOOKALIKE_RETURN_IF_ERROR(
          ParseExampleIds(kv.value, kv.key, kv.key == "positive" ? &r.positive : &r.negative));
    } else if (kv.key == "exclude_examples") {
      if (kv.value.get_bool().get(r.exclude_examples) != simdjson::SUCCESS) {
        return ParsingError("[recommend] [exclude_examples] must be a boolean");
      }
    } else {
      return ParsingError("[recommend] unknown field [" + std::string(kv.key) + "]");
    }
  }
  if (r.index.empty()) return ParsingError("[recommend] requires [index]");
  if (r.path.empty()) return ParsingError("[recommend] requires [path]");
  if (r.positive.empty()) return IllegalArgument("[recommend] requires at least one [positive] id");
  q->recommend = std::move(r);
  return Status::OK();
}

// "query_vector_builder": {"lookup": {"index": I, "id": D, "path": P}} or Lookalike's
// {"recommend": {…}}; other builders (text embedding models) are refused by name.
Status ParseVectorBuilder(element builder, KnnNode* q) {
  if (!builder.is_object()) return ParsingError("[query_vector_builder] must be an object");
  size_t builders = 0;
  for (auto kv : AsObject(builder)) {
    if (kv.key != "lookup" && kv.key != "recommend") {
      return IllegalArgument("[query_vector_builder] [" + std::string(kv.key) +
                             "] is not supported; only [lookup] and [recommend] are");
    }
    ++builders;
  }
  if (builders != 1) {
    return ParsingError("[query_vector_builder] must hold exactly one of [lookup] or [recommend]");
  }
  element lookup;
  if (builder.at_key("recommend").get(lookup) == simdjson::SUCCESS) {
    return ParseRecommend(lookup, q);
  }
  if (builder.at_key("lookup").get(lookup) != simdjson::SUCCESS || !lookup.is_object()) {
    return ParsingError("[query_vector_builder] requires [lookup] as an object");
  }
  VectorLookup l;
  for (auto kv : AsObject(lookup)) {
    std::string_view text;
    // routing picks the example's shard in cluster mode; a single node has one shard.
    std::string* into = kv.key == "index"     ? &l.index
                        : kv.key == "id"      ? &l.id
                        : kv.key == "path"    ? &l.path
                        : kv.key == "routing" ? &l.routing.emplace()
                                              : nullptr;
    if (into == nullptr) {
      return ParsingError("[lookup] unknown field [" + std::string(kv.key) + "]");
    }
    if (kv.value.get_string().get(text) != simdjson::SUCCESS || text.empty()) {
      return ParsingError("[lookup] [" + std::string(kv.key) + "] must be a non-empty string");
    }
    into->assign(text);
  }
  for (auto [name, value] : {std::pair<const char*, const std::string*>{"index", &l.index},
                             {"id", &l.id}, {"path", &l.path}}) {
    if (value->empty()) return ParsingError("[lookup] requires [" + std::string(name) + "]");
  }
  q->lookup = std::move(l);
  return Status::OK();
}

Status ParseQueryVector(element knn, KnnNode* q) {
  element vec, builder;
  const bool has_vector = knn.at_key("query_vector").get(vec) == simdjson::SUCCESS;
  const bool has_builder = knn.at_key("query_vector_builder").get(builder) == simdjson::SUCCESS;
  if (has_vector && has_builder) {
    return IllegalArgument("Exactly one of [query_vector] or [query_vector_builder] must be "
                           "provided");
  }
  if (has_builder) return ParseVectorBuilder(builder, q);
  if (!has_vector) return ParsingError("[knn] requires [query_vector]");
  return ParseVector(vec, &q->vector);
}

}  // namespace

namespace {

// Elasticsearch "rescore_vector": {"oversample": F}, F in [1, 10] or exactly 0 (no rescoring).
Status ParseRescoreVector(element knn, KnnNode* q) {
  element rv;
  if (knn.at_key("rescore_vector").get(rv) != simdjson::SUCCESS) return Status::OK();
  if (!rv.is_object()) return ParsingError("[rescore_vector] must be an object");
  for (auto kv : AsObject(rv)) {
    if (kv.key != "oversample") {
      return ParsingError("[rescore_vector] unknown field [" + std::string(kv.key) + "]");
    }
  }
  LOOKALIKE_ASSIGN_OR_RETURN(auto oversample, GetOptionalFloat(rv, "oversample", "rescore_vector"));
  if (!oversample) return ParsingError("[rescore_vector] requires [oversample]");
  if (*oversample == 0.0f) {
    q->rescore = false;
    return Status::OK();
  }
  if (*oversample < 1.0f || *oversample > 10.0f) {
    return IllegalArgument("[oversample] must be between [1.0] and [10.0], or exactly [0] to "
                           "disable rescoring, got [" + std::to_string(*oversample) + "]");
  }
  q->oversample = *oversample;
  return Status::OK();
}

// The keys of a top-level knn entry; any other is refused by name rather than ignored.
Status CheckTopLevelKnnKeys(element knn) {
  for (auto kv : AsObject(knn)) {
    const std::string_view key = kv.key;
    if (key != "field" && key != "query_vector" && key != "query_vector_builder" && key != "k" &&
        key != "num_candidates" && key != "filter" && key != "similarity" && key != "boost" &&
        key != "_name" && key != "rescore_vector" && key != "inner_hits") {
      return ParsingError("[knn] unknown field [" + std::string(key) + "]");
    }
  }
  return Status::OK();
}

}  // namespace

Result<QueryNode> ParseTopLevelKnnNode(element knn, int64_t default_k) {
  if (knn.is_array()) {
    BoolNode b;
    for (element x : AsArray(knn)) {
      LOOKALIKE_ASSIGN_OR_RETURN(QueryNode q, ParseTopLevelKnnNode(x, default_k));
      b.should.push_back(std::move(q));
    }
    return Node(std::move(b));
  }
  if (!knn.is_object()) return ParsingError("[knn] must be an object or an array");
  LOOKALIKE_RETURN_IF_ERROR(CheckTopLevelKnnKeys(knn));
  KnnNode q;
  std::string_view field;
  if (knn.at_key("field").get_string().get(field) != simdjson::SUCCESS) {
    return ParsingError("[knn] requires [field]");
  }
  q.field = std::string(field);
  LOOKALIKE_RETURN_IF_ERROR(ParseQueryVector(knn, &q));
  LOOKALIKE_ASSIGN_OR_RETURN(
      int64_t k, GetPositive(knn, "k", std::clamp<int64_t>(default_k, 1, kMaxK), kMaxK, "knn"));
  int64_t default_candidates = std::min<int64_t>(kMaxK, std::max<int64_t>(k * 3 / 2, 100));
  LOOKALIKE_ASSIGN_OR_RETURN(
      int64_t nc, GetPositive(knn, "num_candidates", default_candidates, kMaxK, "knn"));
  if (nc < k) return IllegalArgument("[num_candidates] cannot be less than [k]");
  q.k = static_cast<size_t>(k);
  q.ef_search = static_cast<int>(nc);
  q.boost = GetBoost(knn);
  LOOKALIKE_ASSIGN_OR_RETURN(q.similarity, GetOptionalFloat(knn, "similarity", "knn"));
  LOOKALIKE_RETURN_IF_ERROR(ParseRescoreVector(knn, &q));
  LOOKALIKE_RETURN_IF_ERROR(ParseOptionalFilter(knn, &q));
  element inner_hits;
  if (knn.at_key("inner_hits").get(inner_hits) == simdjson::SUCCESS) {
    // Elasticsearch lists each hit's best vectors (all_vectors); the name defaults to the
    // nested path, which the engine knows from the mapping.
    LOOKALIKE_ASSIGN_OR_RETURN(q.inner_hits, ParseNestedInnerHits(inner_hits));
  }
  return Node(std::move(q));
}

}  // namespace lookalike::es
