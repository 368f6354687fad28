// OpenSearch search pipelines (PUT _search/pipeline/{id}, the inline "search_pipeline" of a
// _search body): the JSON body parsed once into what Lookalike runs — the phase-results
// processor that fuses the sub-queries of a `hybrid` query.
//
//   {"description": "…", "version": N,
//    "phase_results_processors": [
//      {"normalization-processor": {"tag", "description", "ignore_failure",
//         "normalization": {"technique": "min_max" | "l2"},
//         "combination": {"technique": "arithmetic_mean" | "geometric_mean" | "harmonic_mean",
//                         "parameters": {"weights": [w…]}}}}
//    | {"score-ranker-processor": {"tag", "description", "ignore_failure",
//         "combination": {"technique": "rrf", "rank_constant": C}}}],
//    "request_processors": [], "response_processors": []}
//
// At most one phase-results processor. Any request or response processor (filter_query,
// rename_field, …), another phase-results processor, an unknown key or technique is refused
// with 400 naming it: a pipeline is never accepted with a part that would be ignored.
// Errors: parsing_exception for a value of the wrong JSON kind, illegal_argument_exception for
// an unsupported processor or technique and a value out of range.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/json_util.h"
#include "lookalike/search_request.h"
#include "lookalike/status.h"

namespace lookalike::es {

/// What a search pipeline does to a hybrid query. Without a processor: the
/// normalization-processor's defaults (min_max, arithmetic_mean, equal weights).
struct SearchPipeline {
  enum class Fusion : uint8_t { kNormalization, kRrf };
  Fusion fusion = Fusion::kNormalization;
  ScoreNormalizer normalizer = ScoreNormalizer::kMinMax;
  Retriever::Combination combination = Retriever::Combination::kArithmeticMean;
  std::vector<float> weights;  // empty: every sub-query weighs the same; else one per sub-query
  int64_t rank_constant = 60;  // kRrf: score = Σ 1 / (rank_constant + rank), in [1, 10000]
};

/// A pipeline object (an inline "search_pipeline" or a stored pipeline's body).
Result<SearchPipeline> ParseSearchPipeline(engine::element body);

/// The same from JSON text (PUT _search/pipeline/{id} and the stored file); parsing_exception
/// when the text is not a JSON object.
Result<SearchPipeline> ParseSearchPipelineJson(std::string_view json);

/// Makes `hybrid` (ParseHybridQuery's linear node over the sub-queries) fuse as `pipeline`
/// says. illegal_argument_exception when the pipeline's weights are not one per sub-query.
Status ApplySearchPipeline(const SearchPipeline& pipeline, Retriever* hybrid);

}  // namespace lookalike::es
