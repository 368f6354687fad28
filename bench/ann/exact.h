// Exact (flat) search timings for the report: the harness's own sgemm scan, and Lookalike's
// flat index (the engine's exact path) when it is built in.
#pragma once

#include <string>
#include <vector>

#include "dataset.h"
#include "ground_truth.h"
#include "report.h"

namespace lookalike::bench {

/// Times `queries` (typically 100) against the whole base with every exact method available,
/// each checked against `gt` (whose first rows belong to these queries). Lookalike's flat index
/// runs in a forked child so its copy of the base does not stay resident. Problems (a method
/// that fails or misses true neighbours) go to *warnings.
std::vector<ExactTiming> TimeExactSearch(const Matrix& base, const Matrix& queries,
                                         const GroundTruth& gt, Metric metric, size_t k,
                                         int threads, std::vector<std::string>* warnings);

}  // namespace lookalike::bench
