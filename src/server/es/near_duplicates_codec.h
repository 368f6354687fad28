// POST /{index}/_near_duplicates at the edge (a Lookalike extension; no Elasticsearch
// counterpart): the request body parsed into the engine's options, the typed report rendered.
#pragma once

#include <string>
#include <string_view>

#include "lookalike/near_duplicates.h"
#include "lookalike/status.h"

namespace lookalike::es {

/// Groups returned when the body does not say (max_groups).
inline constexpr size_t kDefaultNearDuplicateGroups = 1000;

struct NearDuplicatesRequest {
  std::string field;  // "" = the index's only vector field
  float min_score = 0;
  NearDuplicateOptions options;
};

/// {"field": F, "min_score": S, "max_groups": N, "size": M}: min_score is required (a finite
/// number), field a string, max_groups and size non-negative integers (0 = no limit; size is
/// the ids listed per group). Unknown members, wrong types, a missing min_score or a body that
/// is not a JSON object are 400 parsing_exception naming the member (ErrorKind
/// kMalformedRequest).
Result<NearDuplicatesRequest> ParseNearDuplicatesBody(std::string_view body);

/// {"took": ms, "timed_out": false, "total_groups": N, "docs_scanned": D, "pairs": P,
///  "groups": [{"ids": [...], "doc_count": C, "min_score": S}, ...]}.
std::string RenderNearDuplicates(const NearDuplicateReport& report);

}  // namespace lookalike::es
