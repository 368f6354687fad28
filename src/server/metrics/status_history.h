// The status page's memory: one sample of the node every interval (10 s by default) in a ring
// of fixed size (an hour), so the charts of /_ui/status show the last hour after a reload.
// Served with the per-index table as GET /_lookalike/status (cluster privilege monitor).
//
// A sample turns counters into rates over the interval: searches and REST requests per second,
// search latency percentiles from the histogram buckets that filled during the interval, and
// documents indexed per second; plus gauges read at the moment: RSS, vector index memory, the
// data file system's use and the indices' bytes on disk.
//
// Thread safety: a sampler thread (Start/Stop) and any number of readers; mu_ guards the ring
// and the previous totals. Sampling reads the engine's metrics registry (its own locking).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lookalike/engine.h"
#include "server/metrics/http_metrics.h"
#include "server/router.h"

namespace lookalike::server {

struct StatusSample {
  int64_t time_ms = 0;              // wall clock, milliseconds since the epoch
  double searches_per_second = 0;   // engine searches, all indices and kinds
  double requests_per_second = 0;   // REST requests, all routes
  double search_p50_ms = 0, search_p95_ms = 0, search_p99_ms = 0;  // 0 when no search
  double docs_indexed_per_second = 0;
  uint64_t rss_bytes = 0;
  uint64_t vector_memory_bytes = 0;  // lookalike_vector_index_memory_bytes, summed
  uint64_t disk_used_bytes = 0;      // the data directory's file system
  uint64_t disk_total_bytes = 0;
  uint64_t store_bytes = 0;          // the indices' documents and vector files
};

/// The q-quantile (0..1) of the observations counted in `counts` (per bucket, not cumulative,
/// the last one above every bound), interpolated linearly inside its bucket; observations
/// above the last bound are reported at the last bound. 0 when there are none.
double HistogramQuantile(const std::vector<double>& bounds, const std::vector<uint64_t>& counts,
                         double q);

class StatusHistory {
 public:
  StatusHistory(Engine* engine, const HttpMetrics* http, std::string data_dir,
                std::chrono::milliseconds interval = std::chrono::seconds(10),
                size_t capacity = 360);
  ~StatusHistory() { Stop(); }

  /// Takes a first sample and starts the sampler thread.
  void Start();
  void Stop();
  /// Takes one sample now (the rates cover the time since the previous one).
  void SampleNow();

  std::vector<StatusSample> Samples() const;  // oldest first
  std::chrono::milliseconds interval() const { return interval_; }
  size_t capacity() const { return capacity_; }

 private:
  struct Totals {
    double searches = 0, requests = 0, docs_indexed = 0;
    std::vector<double> bounds;
    std::vector<uint64_t> latency_counts;
    std::chrono::steady_clock::time_point at{};
  };
  Totals ReadTotals(StatusSample* gauges) const;

  Engine* const engine_;
  const HttpMetrics* const http_;
  const std::string data_dir_;
  const std::chrono::milliseconds interval_;
  const size_t capacity_;

  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;              // guarded by mu_
  std::vector<StatusSample> ring_;     // guarded by mu_; capacity_ entries once full
  size_t next_ = 0;                    // guarded by mu_: where the next sample goes
  Totals previous_;                    // guarded by mu_
  bool have_previous_ = false;         // guarded by mu_
  std::thread sampler_;
};

/// GET /_lookalike/status: {"interval_seconds","capacity","samples":[…],"indices":[{"index",
/// "health","docs","vectors","store_bytes","vector_memory_bytes","models":[…]}]}.
void RegisterStatusHandler(Router& router, Engine& engine, const StatusHistory& history);

}  // namespace lookalike::server
