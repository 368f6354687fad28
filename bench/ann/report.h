// The markdown report: one table per run (build, sweep, QPS at target recall with ratios of
// Lookalike against each peer, exact search timing).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "runner.h"

namespace lookalike::bench {

struct ExactTiming {
  std::string method;
  size_t queries = 0;
  size_t base_rows = 0;
  double seconds = 0.0;
  double recall = -1.0;  // recall@k against the ground truth (-1 = not checked)
};

struct RunInfo {
  std::string dataset;        // "synthetic-hard", or the file's name
  std::string data_details;   // generator parameters or file path
  size_t n = 0, queries = 0, dim = 0, k = 10, gt_k = 100;
  std::string metric;
  int build_threads = 0;
  int search_threads = 0;
  int ef_construction = 0;
  std::string command;
  std::string machine;        // CPU model, cores, memory
  std::string date;
  double data_seconds = 0.0;
  double gt_seconds = 0.0;
  std::string gt_note;        // cache path or "computed"
  std::string difficulty;     // one line from MeasureDifficulty
  std::vector<ExactTiming> exact;
  std::vector<std::string> warnings;  // run-level problems (exact search, ...)
};

/// Interpolated value of a sweep at a target recall.
struct AtRecall {
  bool reached = false;      // some sweep point has recall >= target
  bool lower_bound = false;  // even the smallest ef exceeds the target (value is at that ef)
  double qps = 0.0;
  double p50_ms = 0.0;
  double cpu_ms = 0.0;
};

/// Walks the sweep in ef order to the first point with recall >= target and interpolates QPS
/// and p50 linearly in recall between it and the previous point.
AtRecall AtTargetRecall(const std::vector<SweepPoint>& sweep, double target);

std::string RenderReport(const RunInfo& info, const std::vector<PeerResult>& results);

}  // namespace lookalike::bench
