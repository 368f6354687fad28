// The "retriever" search key; see retriever_parse.h.
#include "server/es/retriever_parse.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "server/es/query_parse.h"

namespace lookalike::es {
namespace {

using engine::AsArray;
using engine::AsObject;
using engine::element;
using engine::ElementToDouble;
using engine::IllegalArgument;
using engine::ParsingError;

constexpr int kMaxRetrieverDepth = 16;

struct RetrieverParser {
  int64_t default_k;
  size_t max_clause_count;
  SortEntryParser parse_sort;
  size_t* clauses;

  Result<Retriever> Parse(element e, int depth);
  Result<Retriever> Standard(element body);
  Result<Retriever> Knn(element body);
  Result<Retriever> Fusion(element body, Retriever::Kind kind, int depth);
  Result<Retriever> Diversify(element body, int depth);
  Result<QueryNode> Query(element q);
};

Result<double> Number(element value, std::string_view where) {
  double d = 0;
  if (!ElementToDouble(value, &d) || !std::isfinite(d)) {
    return ParsingError("[" + std::string(where) + "] must be a number");
  }
  return d;
}

Result<int64_t> Count(element value, std::string_view where, int64_t low) {
  LOOKALIKE_ASSIGN_OR_RETURN(double d, Number(value, where));
  if (d != std::floor(d) || d < static_cast<double>(low) || d > 1e9) {
    return IllegalArgument("[" + std::string(where) + "] must be an integer ≥ " +
                           std::to_string(low) + ", was [" + std::to_string(d) + "]");
  }
  return static_cast<int64_t>(d);
}

Result<ScoreNormalizer> Normalizer(element value) {
  std::string_view name;
  if (value.get_string().get(name) != simdjson::SUCCESS) {
    return ParsingError("[normalizer] must be a string");
  }
  if (name == "minmax") return ScoreNormalizer::kMinMax;
  if (name == "l2_norm") return ScoreNormalizer::kL2Norm;
  if (name == "none") return ScoreNormalizer::kNone;
  return IllegalArgument("unknown normalizer [" + std::string(name) +
                         "]; supported: minmax, l2_norm, none");
}

Result<QueryNode> RetrieverParser::Query(element q) {
  *clauses += CountQueryClauses(q, max_clause_count) + 1;
  if (*clauses > max_clause_count) return TooManyClauses(max_clause_count);
  return ParseQueryNode(q);
}

Result<Retriever> RetrieverParser::Standard(element body) {
  Retriever r;
  r.kind = Retriever::Kind::kStandard;
  for (auto kv : AsObject(body)) {
    if (kv.key == "query") {
      LOOKALIKE_ASSIGN_OR_RETURN(r.query, Query(kv.value));
    } else if (kv.key == "filter") {
      if (kv.value.is_array()) {
        for (element f : AsArray(kv.value)) {
          LOOKALIKE_ASSIGN_OR_RETURN(QueryNode q, Query(f));
          r.filter.push_back(std::move(q));
        }
      } else {
        LOOKALIKE_ASSIGN_OR_RETURN(QueryNode q, Query(kv.value));
        r.filter.push_back(std::move(q));
      }
    } else if (kv.key == "sort") {
      if (kv.value.is_array()) {
        for (element s : AsArray(kv.value)) LOOKALIKE_RETURN_IF_ERROR(parse_sort(s, &r.sort));
      } else {
        LOOKALIKE_RETURN_IF_ERROR(parse_sort(kv.value, &r.sort));
      }
    } else if (kv.key == "min_score") {
      LOOKALIKE_ASSIGN_OR_RETURN(double s, Number(kv.value, "min_score"));
      r.min_score = s;
    } else {
      return ParsingError("[standard] retriever does not support [" + std::string(kv.key) + "]");
    }
  }
  return r;
}

Result<Retriever> RetrieverParser::Knn(element body) {
  *clauses += CountKnnSectionClauses(body, max_clause_count) + 1;
  if (*clauses > max_clause_count) return TooManyClauses(max_clause_count);
  LOOKALIKE_ASSIGN_OR_RETURN(QueryNode node, ParseTopLevelKnnNode(body, default_k));
  Retriever r;
  r.kind = Retriever::Kind::kKnn;
  r.knn = std::move(std::get<KnnNode>(node.node));
  return r;
}

Result<Retriever> RetrieverParser::Fusion(element body, Retriever::Kind kind, int depth) {
  const std::string name = kind == Retriever::Kind::kRrf ? "rrf" : "linear";
  Retriever r;
  r.kind = kind;
  std::optional<ScoreNormalizer> default_normalizer;
  std::vector<std::optional<ScoreNormalizer>> normalizers;
  bool have_children = false;
  for (auto kv : AsObject(body)) {
    if (kv.key == "retrievers") {
      if (!kv.value.is_array()) return ParsingError("[" + name + "] [retrievers] must be an array");
      have_children = true;
      for (element child : AsArray(kv.value)) {
        element inner = child;
        float weight = 1.0f;
        std::optional<ScoreNormalizer> normalizer;
        // linear children may be {"retriever": R, "weight": W, "normalizer": N}.
        element wrapped;
        if (kind == Retriever::Kind::kLinear && child.is_object() &&
            child.at_key("retriever").get(wrapped) == simdjson::SUCCESS) {
          inner = wrapped;
          for (auto part : AsObject(child)) {
            if (part.key == "retriever") continue;
            if (part.key == "weight") {
              LOOKALIKE_ASSIGN_OR_RETURN(double w, Number(part.value, "weight"));
              if (w < 0) return IllegalArgument("[weight] must be ≥ 0, was [" + std::to_string(w) + "]");
              weight = static_cast<float>(w);
            } else if (part.key == "normalizer") {
              LOOKALIKE_ASSIGN_OR_RETURN(normalizer, Normalizer(part.value));
            } else {
              return ParsingError("[linear] retriever entry does not support [" +
                                  std::string(part.key) + "]");
            }
          }
        }
        LOOKALIKE_ASSIGN_OR_RETURN(Retriever c, Parse(inner, depth + 1));
        r.children.push_back(std::move(c));
        r.weights.push_back(weight);
        normalizers.push_back(normalizer);
      }
    } else if (kv.key == "rank_window_size") {
      LOOKALIKE_ASSIGN_OR_RETURN(r.rank_window_size, Count(kv.value, "rank_window_size", 1));
    } else if (kv.key == "rank_constant" && kind == Retriever::Kind::kRrf) {
      LOOKALIKE_ASSIGN_OR_RETURN(r.rank_constant, Count(kv.value, "rank_constant", 1));
    } else if (kv.key == "normalizer" && kind == Retriever::Kind::kLinear) {
      LOOKALIKE_ASSIGN_OR_RETURN(default_normalizer, Normalizer(kv.value));
    } else {
      return ParsingError("[" + name + "] retriever does not support [" + std::string(kv.key) +
                          "]");
    }
  }
  if (!have_children) return ParsingError("[" + name + "] requires [retrievers]");
  if (r.children.size() < 2) {
    return IllegalArgument("[" + name + "] requires at least 2 retrievers, got " +
                           std::to_string(r.children.size()));
  }
  for (const auto& n : normalizers) {
    r.normalizers.push_back(n.value_or(default_normalizer.value_or(ScoreNormalizer::kNone)));
  }
  return r;
}

Result<std::vector<float>> FloatArray(element value, std::string_view where) {
  if (!value.is_array()) return ParsingError("[" + std::string(where) + "] must be an array");
  std::vector<float> out;
  for (element x : AsArray(value)) {
    LOOKALIKE_ASSIGN_OR_RETURN(double d, Number(x, where));
    out.push_back(static_cast<float>(d));
  }
  if (out.empty()) return IllegalArgument("[" + std::string(where) + "] must not be empty");
  return out;
}

Result<Retriever> RetrieverParser::Diversify(element body, int depth) {
  Retriever r;
  r.kind = Retriever::Kind::kDiversify;
  bool have_type = false, have_lambda = false;
  for (auto kv : AsObject(body)) {
    if (kv.key == "type") {
      std::string_view type;
      if (kv.value.get_string().get(type) != simdjson::SUCCESS || type != "mmr") {
        return IllegalArgument("[diversify] [type] must be [mmr]");
      }
      have_type = true;
    } else if (kv.key == "field") {
      std::string_view field;
      if (kv.value.get_string().get(field) != simdjson::SUCCESS || field.empty()) {
        return ParsingError("[diversify] [field] must be a non-empty string");
      }
      r.field = std::string(field);
    } else if (kv.key == "retriever") {
      LOOKALIKE_ASSIGN_OR_RETURN(Retriever c, Parse(kv.value, depth + 1));
      r.children.push_back(std::move(c));
    } else if (kv.key == "lambda") {
      LOOKALIKE_ASSIGN_OR_RETURN(double l, Number(kv.value, "lambda"));
      if (l < 0 || l > 1) return IllegalArgument("[diversify] [lambda] must be between 0 and 1");
      r.lambda = static_cast<float>(l);
      have_lambda = true;
    } else if (kv.key == "size") {
      LOOKALIKE_ASSIGN_OR_RETURN(r.size, Count(kv.value, "size", 1));
    } else if (kv.key == "rank_window_size") {
      LOOKALIKE_ASSIGN_OR_RETURN(r.rank_window_size, Count(kv.value, "rank_window_size", 1));
    } else if (kv.key == "query_vector") {
      LOOKALIKE_ASSIGN_OR_RETURN(r.query_vector, FloatArray(kv.value, "query_vector"));
    } else {
      return ParsingError("[diversify] retriever does not support [" + std::string(kv.key) + "]");
    }
  }
  if (!have_type) return ParsingError("[diversify] requires [type]");
  if (r.field.empty()) return ParsingError("[diversify] requires [field]");
  if (r.children.empty()) return ParsingError("[diversify] requires [retriever]");
  if (!have_lambda) return ParsingError("[diversify] of type [mmr] requires [lambda]");
  return r;
}

Result<Retriever> RetrieverParser::Parse(element e, int depth) {
  if (depth > kMaxRetrieverDepth) {
    return IllegalArgument("retrievers nest deeper than " + std::to_string(kMaxRetrieverDepth));
  }
  if (!e.is_object()) return ParsingError("[retriever] must be an object");
  auto object = AsObject(e);
  if (object.size() != 1) {
    return ParsingError("[retriever] must hold exactly one retriever, got " +
                        std::to_string(object.size()));
  }
  auto kv = *object.begin();
  if (!kv.value.is_object()) {
    return ParsingError("[" + std::string(kv.key) + "] retriever must be an object");
  }
  if (kv.key == "standard") return Standard(kv.value);
  if (kv.key == "knn") return Knn(kv.value);
  if (kv.key == "rrf") return Fusion(kv.value, Retriever::Kind::kRrf, depth);
  if (kv.key == "linear") return Fusion(kv.value, Retriever::Kind::kLinear, depth);
  if (kv.key == "diversify") return Diversify(kv.value, depth);
  return ParsingError("unknown retriever [" + std::string(kv.key) +
                      "]; supported: standard, knn, rrf, linear, diversify");
}

}  // namespace

Result<Retriever> ParseHybridQuery(element hybrid, const SearchPipeline& pipeline,
                                   int64_t window, size_t max_clause_count, size_t* clauses) {
  if (!hybrid.is_object()) return ParsingError("[hybrid] must be an object");
  RetrieverParser parser{window, max_clause_count, nullptr, clauses};
  Retriever r;
  std::optional<QueryNode> filter;
  int64_t depth = window;
  for (auto kv : AsObject(hybrid)) {
    if (kv.key == "queries") {
      if (!kv.value.is_array()) return ParsingError("[hybrid] [queries] must be an array");
      for (element q : AsArray(kv.value)) {
        Retriever leaf;
        LOOKALIKE_ASSIGN_OR_RETURN(leaf.query, parser.Query(q));
        r.children.push_back(std::move(leaf));
      }
    } else if (kv.key == "filter") {
      LOOKALIKE_ASSIGN_OR_RETURN(filter, parser.Query(kv.value));
    } else if (kv.key == "pagination_depth") {
      LOOKALIKE_ASSIGN_OR_RETURN(depth, Count(kv.value, "pagination_depth", 1));
    } else {
      return ParsingError("[hybrid] query does not support [" + std::string(kv.key) + "]");
    }
  }
  if (r.children.empty() || r.children.size() > 5) {
    return IllegalArgument("number of sub-queries in [hybrid] must be between 1 and 5, got " +
                           std::to_string(r.children.size()));
  }
  for (Retriever& leaf : r.children) {
    if (filter) leaf.filter.push_back(*filter);
  }
  r.rank_window_size = std::max(depth, window);
  LOOKALIKE_RETURN_IF_ERROR(ApplySearchPipeline(pipeline, &r));
  return r;
}

Result<Retriever> ParseRetriever(element e, int64_t default_k, size_t max_clause_count,
                                 SortEntryParser parse_sort, size_t* clauses) {
  RetrieverParser parser{default_k, max_clause_count, parse_sort, clauses};
  return parser.Parse(e, 0);
}

}  // namespace lookalike::es
