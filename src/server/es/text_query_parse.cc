#include "server/es/text_query_parse.h"

#include <cmath>
#include <cstdlib>

#include "engine/analyzer.h"

namespace lookalike::es {
namespace {

using engine::AsArray;
using engine::AsObject;
using engine::ElementToDouble;
using engine::ElementToJson;
using engine::ElementToText;
using engine::ParsingError;

QueryNode Node(auto&& alternative) {
  QueryNode n;
  n.node = std::forward<decltype(alternative)>(alternative);
  return n;
}

Status Unsupported(std::string_view query, std::string_view key) {
  return ParsingError("[" + std::string(query) + "] query does not support [" +
                      std::string(key) + "]");
}

// Options that change nothing here: no named-query output, no synonyms, one analyzer, and the
// query text is analysed the same way for every field type.
Status HarmlessOption(std::string_view query, std::string_view key, element value) {
  std::string_view text;
  if (key == "_name" || key == "lenient" || key == "auto_generate_synonyms_phrase_query") {
    return Status::OK();
  }
  if (key == "analyzer" && value.get_string().get(text) == simdjson::SUCCESS &&
      text == "standard") {
    return Status::OK();
  }
  if (key == "zero_terms_query" && value.get_string().get(text) == simdjson::SUCCESS &&
      (text == "none" || text == "NONE")) {
    return Status::OK();
  }
  if (key == "analyzer" || key == "zero_terms_query") {
    return ParsingError("[" + std::string(query) + "] only [" + std::string(key) + "] " +
                        (key == "analyzer" ? "standard" : "none") + " is supported, got " +
                        ElementToJson(value));
  }
  return Unsupported(query, key);
}

Status QueryText(element v, std::string_view query, std::string* out) {
  if (!ElementToText(v, out) || v.is_null()) {
    return ParsingError("[" + std::string(query) + "] query does not support an object, array "
                        "or null [query] value");
  }
  return Status::OK();
}

Status Operator(element v, std::string_view query, bool* all) {
  std::string_view op;
  if (v.get_string().get(op) == simdjson::SUCCESS) {
    if (op == "and" || op == "AND") return *all = true, Status::OK();
    if (op == "or" || op == "OR") return *all = false, Status::OK();
  }
  return ParsingError("[" + std::string(query) + "] operator must be \"and\" or \"or\", got " +
                      ElementToJson(v));
}

// A non-negative integer option (slop).
Status NonNegativeInt(element v, std::string_view query, std::string_view key, int* out) {
  double d;
  if (!ElementToDouble(v, &d) || d != std::floor(d) || d < 0 || d > 1e6) {
    return ParsingError("[" + std::string(query) + "] [" + std::string(key) +
                        "] must be a non-negative integer, got " + ElementToJson(v));
  }
  *out = static_cast<int>(d);
  return Status::OK();
}

Status NumberOption(element v, std::string_view query, std::string_view key, float* out) {
  double d;
  if (!ElementToDouble(v, &d) || !std::isfinite(d)) {
    return ParsingError("[" + std::string(query) + "] [" + std::string(key) +
                        "] must be a number, got " + ElementToJson(v));
  }
  *out = static_cast<float>(d);
  return Status::OK();
}

// minimum_should_match against `clauses` query tokens: an integer (negative: that many may be
// missing) or a percentage (rounded down, negative likewise), clamped to [0, clauses].
Status ResolveMinimumShouldMatch(element v, std::string_view query, size_t clauses, int* out) {
  std::string spec;
  if (!ElementToText(v, &spec) || spec.empty()) {
    return ParsingError("[" + std::string(query) + "] minimum_should_match must be a number or "
                        "string, got " + ElementToJson(v));
  }
  bool pct = spec.back() == '%';
  std::string digits = pct ? spec.substr(0, spec.size() - 1) : spec;
  char* end = nullptr;
  long value = std::strtol(digits.c_str(), &end, 10);
  if (digits.empty() || *end != '\0' || std::labs(value) > (pct ? 100 : 1000000)) {
    return ParsingError("[" + std::string(query) + "] minimum_should_match [" + spec +
                        "] is not supported (an integer or a percentage)");
  }
  auto n = static_cast<long>(clauses);
  long r = pct ? n * std::labs(value) / 100 : std::labs(value);
  if (value < 0) r = n - r;
  *out = static_cast<int>(std::clamp(r, 0L, n));
  return Status::OK();
}

}  // namespace

Result<QueryNode> ParseMatch(element body) {
  MatchNode m;
  element opts;
  LOOKALIKE_RETURN_IF_ERROR(SingleField(body, "match", &m.field, &opts));
  element qv = opts;
  element msm;
  bool has_msm = false;
  if (opts.is_object()) {
    bool has_query = false;
    for (auto kv : AsObject(opts)) {
      if (kv.key == "query") {
        qv = kv.value, has_query = true;
      } else if (kv.key == "operator") {
        LOOKALIKE_RETURN_IF_ERROR(Operator(kv.value, "match", &m.all));
      } else if (kv.key == "minimum_should_match") {
        msm = kv.value, has_msm = true;
      } else if (kv.key != "boost") {
        LOOKALIKE_RETURN_IF_ERROR(HarmlessOption("match", kv.key, kv.value));
      }
    }
    if (!has_query) {
      return ParsingError("[match] query malformed, no [query] for field [" + m.field + "]");
    }
    m.boost = GetBoost(opts);
  }
  LOOKALIKE_RETURN_IF_ERROR(QueryText(qv, "match", &m.text));
  if (has_msm) {
    size_t clauses = engine::Tokenize(m.text).size();
    LOOKALIKE_RETURN_IF_ERROR(
        ResolveMinimumShouldMatch(msm, "match", clauses, &m.minimum_should_match));
  }
  return Node(std::move(m));
}

Result<QueryNode> ParseMatchPhrase(element body) {
  MultiMatchNode m;
  m.type = MultiMatchNode::Type::kPhrase;
  m.fields.emplace_back();
  element opts;
  LOOKALIKE_RETURN_IF_ERROR(SingleField(body, "match_phrase", &m.fields[0].name, &opts));
  element qv = opts;
  if (opts.is_object()) {
    bool has_query = false;
    for (auto kv : AsObject(opts)) {
      if (kv.key == "query") {
        qv = kv.value, has_query = true;
      } else if (kv.key == "slop") {
        LOOKALIKE_RETURN_IF_ERROR(NonNegativeInt(kv.value, "match_phrase", "slop", &m.slop));
      } else if (kv.key != "boost") {
        LOOKALIKE_RETURN_IF_ERROR(HarmlessOption("match_phrase", kv.key, kv.value));
      }
    }
    if (!has_query) {
      return ParsingError("[match_phrase] query malformed, no [query] for field [" +
                          m.fields[0].name + "]");
    }
    m.boost = GetBoost(opts);
  }
  LOOKALIKE_RETURN_IF_ERROR(QueryText(qv, "match_phrase", &m.text));
  return Node(std::move(m));
}

namespace {

// "title", "title^2", "*_name^0.5".
Status ParseFieldSpec(element v, std::vector<MultiMatchNode::Field>* out) {
  std::string_view spec;
  if (v.get_string().get(spec) != simdjson::SUCCESS || spec.empty()) {
    return ParsingError("[multi_match] [fields] must hold field names, got " + ElementToJson(v));
  }
  MultiMatchNode::Field f;
  size_t caret = spec.rfind('^');
  f.name = std::string(spec.substr(0, caret));
  if (caret != std::string_view::npos) {
    std::string boost(spec.substr(caret + 1));
    char* end = nullptr;
    double b = std::strtod(boost.c_str(), &end);
    if (boost.empty() || *end != '\0' || !std::isfinite(b) || b < 0 || f.name.empty()) {
      return ParsingError("[multi_match] field [" + std::string(spec) +
                          "] has an invalid boost");
    }
    f.boost = static_cast<float>(b);
  }
  out->push_back(std::move(f));
  return Status::OK();
}

Status ParseType(element v, MultiMatchNode* m) {
  std::string_view type;
  if (v.get_string().get(type) != simdjson::SUCCESS) {
    return ParsingError("[multi_match] [type] must be a string, got " + ElementToJson(v));
  }
  if (type == "best_fields") m->type = MultiMatchNode::Type::kBestFields;
  else if (type == "most_fields") m->type = MultiMatchNode::Type::kMostFields;
  else if (type == "phrase") m->type = MultiMatchNode::Type::kPhrase;
  else if (type == "cross_fields" || type == "phrase_prefix" || type == "bool_prefix") {
    return ParsingError("[multi_match] type [" + std::string(type) +
                        "] is not supported (best_fields, most_fields, phrase are)");
  } else {
    return ParsingError("[multi_match] unknown type [" + std::string(type) + "]");
  }
  return Status::OK();
}

}  // namespace

Result<QueryNode> ParseMultiMatch(element body) {
  if (!body.is_object()) return ParsingError("[multi_match] query malformed, must be an object");
  MultiMatchNode m;
  element qv, msm;
  bool has_query = false, has_msm = false;
  for (auto kv : AsObject(body)) {
    if (kv.key == "query") {
      qv = kv.value, has_query = true;
    } else if (kv.key == "fields") {
      if (kv.value.is_array()) {
        for (element f : AsArray(kv.value)) LOOKALIKE_RETURN_IF_ERROR(ParseFieldSpec(f, &m.fields));
      } else {
        LOOKALIKE_RETURN_IF_ERROR(ParseFieldSpec(kv.value, &m.fields));
      }
    } else if (kv.key == "type") {
      LOOKALIKE_RETURN_IF_ERROR(ParseType(kv.value, &m));
    } else if (kv.key == "tie_breaker") {
      LOOKALIKE_RETURN_IF_ERROR(NumberOption(kv.value, "multi_match", kv.key, &m.tie_breaker));
    } else if (kv.key == "operator") {
      LOOKALIKE_RETURN_IF_ERROR(Operator(kv.value, "multi_match", &m.all));
    } else if (kv.key == "minimum_should_match") {
      msm = kv.value, has_msm = true;
    } else if (kv.key == "slop") {
      LOOKALIKE_RETURN_IF_ERROR(NonNegativeInt(kv.value, "multi_match", "slop", &m.slop));
    } else if (kv.key != "boost") {
      LOOKALIKE_RETURN_IF_ERROR(HarmlessOption("multi_match", kv.key, kv.value));
    }
  }
  if (!has_query) return ParsingError("[multi_match] requires query value");
  LOOKALIKE_RETURN_IF_ERROR(QueryText(qv, "multi_match", &m.text));
  if (has_msm) {
    size_t clauses = engine::Tokenize(m.text).size();
    LOOKALIKE_RETURN_IF_ERROR(
        ResolveMinimumShouldMatch(msm, "multi_match", clauses, &m.minimum_should_match));
  }
  m.boost = GetBoost(body);
  return Node(std::move(m));
}

}  // namespace lookalike::es
