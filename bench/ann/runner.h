// Runs one library configuration end to end — build, then the ef_search sweep — and measures
// it. By default each configuration runs in a forked child process so its peak RSS is its own
// and a crash in one library cannot take the others' results with it; the data and ground
// truth are shared with the child copy-on-write, never copied.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "dataset.h"
#include "ground_truth.h"
#include "peer.h"

namespace lookalike::bench {

struct SweepPoint {
  int ef = 0;
  double recall = 0.0;           // recall@k of the single-thread pass
  double recall_parallel = 0.0;  // recall@k of the multi-thread pass (should match)
  double p50_ms = 0.0;           // single-thread latency percentiles
  double p99_ms = 0.0;
  double mean_ms = 0.0;
  double qps = 0.0;              // multi-thread throughput
  double cpu_ms = 0.0;           // mean CPU time per query of the single-thread pass
};

struct PeerResult {
  PeerConfig config;
  bool ok = false;
  std::string error;
  double build_seconds = 0.0;
  double build_cpu_seconds = 0.0;  // CPU time of all threads during Build
  size_t index_bytes = 0;
  size_t rss_after_build = 0;  // RSS growth of the process from before Build to after it
  size_t peak_rss = 0;         // peak RSS growth over build and all searches
  size_t rss_after_sweep = 0;  // RSS growth from before Build to after the last search
  bool peak_exact = true;      // false when the kernel's peak counter could not be reset
  std::string notes;
  std::vector<std::string> warnings;  // wrong labels, duplicates, recall drift under threads
  std::vector<SweepPoint> sweep;
};

struct RunOptions {
  std::vector<int> ef_values = {16, 32, 64, 128, 256, 512};
  size_t k = 10;
  int search_threads = 2;
  size_t warmup_queries = 100;
  double min_qps_seconds = 1.0;  // the QPS pass repeats the query set until it lasts this long
  size_t max_qps_passes = 20;
  bool fork_per_library = true;
  bool verbose = true;  // progress lines on stderr
};

/// Runs `body` in a forked child and returns the text it produced. A crash or non-zero exit of
/// the child becomes an error status (the parent survives whatever the library does).
Result<std::string> RunInChild(const std::function<std::string()>& body);

/// Builds and sweeps one configuration over `base` with `queries` scored against `gt`.
PeerResult RunPeer(const PeerConfig& config, const Matrix& base, const Matrix& queries,
                   const GroundTruth& gt, const RunOptions& options);

}  // namespace lookalike::bench
