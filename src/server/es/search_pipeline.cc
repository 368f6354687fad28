// Search pipeline bodies; see search_pipeline.h.
#include "server/es/search_pipeline.h"

#include <cmath>

namespace lookalike::es {
namespace {

using engine::AsArray;
using engine::AsObject;
using engine::element;
using engine::ElementToDouble;
using engine::IllegalArgument;
using engine::ParsingError;

// OpenSearch checks that the weights add up to 1 within this tolerance.
constexpr double kWeightSumTolerance = 0.01;

Result<std::string_view> Text(element value, std::string_view where) {
  std::string_view s;
  if (value.get_string().get(s) != simdjson::SUCCESS) {
    return ParsingError("[" + std::string(where) + "] must be a string");
  }
  return s;
}

Result<double> Number(element value, std::string_view where) {
  double d = 0;
  if (!ElementToDouble(value, &d) || !std::isfinite(d)) {
    return ParsingError("[" + std::string(where) + "] must be a number");
  }
  return d;
}

// "tag", "description" and "ignore_failure" of any processor: labels, and a flag that matters
// only when a processor fails (these fail the whole search instead, as bad input should).
Result<bool> CommonProcessorKey(std::string_view key, element value) {
  if (key == "tag" || key == "description") {
    LOOKALIKE_RETURN_IF_ERROR(Text(value, key).status());
    return true;
  }
  if (key == "ignore_failure") {
    if (!value.is_bool()) return ParsingError("[ignore_failure] must be a boolean");
    return true;
  }
  return false;
}

Status UnknownKey(std::string_view where, std::string_view key) {
  return IllegalArgument("[" + std::string(where) + "] does not support [" + std::string(key) +
                         "]");
}

Result<std::vector<float>> Weights(element parameters) {
  if (!parameters.is_object()) return ParsingError("[parameters] must be an object");
  std::vector<float> weights;
  for (auto kv : AsObject(parameters)) {
    if (kv.key != "weights") return UnknownKey("parameters", kv.key);
    if (!kv.value.is_array()) return ParsingError("[weights] must be an array");
    double sum = 0;
    for (element w : AsArray(kv.value)) {
      LOOKALIKE_ASSIGN_OR_RETURN(double d, Number(w, "weights"));
      if (d < 0 || d > 1) {
        return IllegalArgument("all weights must be in the range [0.0, 1.0], got [" +
                               std::to_string(d) + "]");
      }
      sum += d;
      weights.push_back(static_cast<float>(d));
    }
    if (weights.empty()) return IllegalArgument("[weights] must not be empty");
    if (std::fabs(sum - 1.0) > kWeightSumTolerance) {
      return IllegalArgument("sum of weights for combination must be equal to 1.0, got [" +
                             std::to_string(sum) + "]");
    }
  }
  return weights;
}

Status Normalization(element body, SearchPipeline* out) {
  if (!body.is_object()) return ParsingError("[normalization] must be an object");
  for (auto kv : AsObject(body)) {
    if (kv.key != "technique") return UnknownKey("normalization", kv.key);
    LOOKALIKE_ASSIGN_OR_RETURN(std::string_view technique, Text(kv.value, "technique"));
    if (technique == "min_max") {
      out->normalizer = ScoreNormalizer::kMinMax;
    } else if (technique == "l2") {
      out->normalizer = ScoreNormalizer::kL2Norm;
    } else {
      return IllegalArgument("provided normalization technique [" + std::string(technique) +
                             "] is not supported (min_max, l2)");
    }
  }
  return Status::OK();
}

Status Combination(element body, SearchPipeline* out) {
  if (!body.is_object()) return ParsingError("[combination] must be an object");
  using C = Retriever::Combination;
  for (auto kv : AsObject(body)) {
    if (kv.key == "technique") {
      LOOKALIKE_ASSIGN_OR_RETURN(std::string_view technique, Text(kv.value, "technique"));
      if (technique == "arithmetic_mean") {
        out->combination = C::kArithmeticMean;
      } else if (technique == "geometric_mean") {
        out->combination = C::kGeometricMean;
      } else if (technique == "harmonic_mean") {
        out->combination = C::kHarmonicMean;
      } else {
        return IllegalArgument("provided combination technique [" + std::string(technique) +
                               "] is not supported (arithmetic_mean, geometric_mean, "
                               "harmonic_mean)");
      }
    } else if (kv.key == "parameters") {
      LOOKALIKE_ASSIGN_OR_RETURN(out->weights, Weights(kv.value));
    } else {
      return UnknownKey("combination", kv.key);
    }
  }
  return Status::OK();
}

Status NormalizationProcessor(element body, SearchPipeline* out) {
  out->fusion = SearchPipeline::Fusion::kNormalization;
  for (auto kv : AsObject(body)) {
    LOOKALIKE_ASSIGN_OR_RETURN(bool common, CommonProcessorKey(kv.key, kv.value));
    if (common) continue;
    if (kv.key == "normalization") {
      LOOKALIKE_RETURN_IF_ERROR(Normalization(kv.value, out));
    } else if (kv.key == "combination") {
      LOOKALIKE_RETURN_IF_ERROR(Combination(kv.value, out));
    } else {
      return UnknownKey("normalization-processor", kv.key);
    }
  }
  return Status::OK();
}

Status ScoreRankerProcessor(element body, SearchPipeline* out) {
  out->fusion = SearchPipeline::Fusion::kRrf;
  for (auto kv : AsObject(body)) {
    LOOKALIKE_ASSIGN_OR_RETURN(bool common, CommonProcessorKey(kv.key, kv.value));
    if (common) continue;
    if (kv.key != "combination") return UnknownKey("score-ranker-processor", kv.key);
    if (!kv.value.is_object()) return ParsingError("[combination] must be an object");
    for (auto part : AsObject(kv.value)) {
      if (part.key == "technique") {
        LOOKALIKE_ASSIGN_OR_RETURN(std::string_view technique, Text(part.value, "technique"));
        if (technique != "rrf") {
          return IllegalArgument("provided combination technique [" + std::string(technique) +
                                 "] is not supported by [score-ranker-processor] (rrf)");
        }
      } else if (part.key == "rank_constant") {
        LOOKALIKE_ASSIGN_OR_RETURN(double c, Number(part.value, "rank_constant"));
        if (c != std::floor(c) || c < 1 || c > 10000) {
          return IllegalArgument("[rank_constant] must be an integer in [1, 10000], got [" +
                                 std::to_string(c) + "]");
        }
        out->rank_constant = static_cast<int64_t>(c);
      } else {
        // Weighted RRF ("parameters") is OpenSearch 3.x; refused rather than run unweighted.
        return UnknownKey("score-ranker-processor] [combination", part.key);
      }
    }
  }
  return Status::OK();
}

// One list of processors: `phase` = phase_results_processors (the only kind run here).
Status Processors(std::string_view list, element value, SearchPipeline* out, bool* have) {
  if (!value.is_array()) return ParsingError("[" + std::string(list) + "] must be an array");
  for (element processor : AsArray(value)) {
    if (!processor.is_object() || AsObject(processor).size() != 1) {
      return ParsingError("each entry of [" + std::string(list) +
                          "] must be an object with exactly one processor");
    }
    auto kv = *AsObject(processor).begin();
    const bool phase = list == "phase_results_processors";
    const bool known = kv.key == "normalization-processor" || kv.key == "score-ranker-processor";
    if (!phase || !known) {
      return IllegalArgument("search pipeline processor [" + std::string(kv.key) + "] in [" +
                             std::string(list) +
                             "] is not supported by Lookalike; supported: "
                             "normalization-processor, score-ranker-processor in "
                             "[phase_results_processors]");
    }
    if (*have) {
      return IllegalArgument("a search pipeline may hold at most one phase results processor");
    }
    *have = true;
    if (!kv.value.is_object()) {
      return ParsingError("[" + std::string(kv.key) + "] must be an object");
    }
    if (kv.key == "normalization-processor") {
      LOOKALIKE_RETURN_IF_ERROR(NormalizationProcessor(kv.value, out));
    } else {
      LOOKALIKE_RETURN_IF_ERROR(ScoreRankerProcessor(kv.value, out));
    }
  }
  return Status::OK();
}

}  // namespace

Result<SearchPipeline> ParseSearchPipeline(element body) {
  if (!body.is_object()) return ParsingError("a search pipeline must be an object");
  SearchPipeline out;
  bool have = false;
  for (auto kv : AsObject(body)) {
    if (kv.key == "description") {
      LOOKALIKE_RETURN_IF_ERROR(Text(kv.value, "description").status());
    } else if (kv.key == "version") {
      LOOKALIKE_RETURN_IF_ERROR(Number(kv.value, "version").status());
    } else if (kv.key == "phase_results_processors" || kv.key == "request_processors" ||
               kv.key == "response_processors") {
      LOOKALIKE_RETURN_IF_ERROR(Processors(kv.key, kv.value, &out, &have));
    } else {
      return UnknownKey("search pipeline", kv.key);
    }
  }
  return out;
}

Result<SearchPipeline> ParseSearchPipelineJson(std::string_view json) {
  simdjson::dom::parser parser;  // not the thread's: the caller may hold a body parsed with it
  LOOKALIKE_ASSIGN_OR_RETURN(element root, engine::ParseJson(parser, json));
  return ParseSearchPipeline(root);
}

Status ApplySearchPipeline(const SearchPipeline& pipeline, Retriever* hybrid) {
  const size_t n = hybrid->children.size();
  if (!pipeline.weights.empty() && pipeline.weights.size() != n) {
    return IllegalArgument("number of weights [" + std::to_string(pipeline.weights.size()) +
                           "] must match number of sub-queries [" + std::to_string(n) +
                           "] in hybrid query");
  }
  if (pipeline.fusion == SearchPipeline::Fusion::kRrf) {
    hybrid->kind = Retriever::Kind::kRrf;
    hybrid->rank_constant = pipeline.rank_constant;
    return Status::OK();
  }
  hybrid->kind = Retriever::Kind::kLinear;
  hybrid->combination = pipeline.combination;
  hybrid->normalizers.assign(n, pipeline.normalizer);
  if (pipeline.weights.empty()) {
    hybrid->weights.assign(n, 1.0f);
  } else {
    hybrid->weights = pipeline.weights;
  }
  return Status::OK();
}

}  // namespace lookalike::es
