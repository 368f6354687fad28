// This process's resource use, read from /proc (Linux), under the names Prometheus client
// libraries use for it (process_cpu_seconds_total, process_resident_memory_bytes, …) so existing
// dashboards and alerts work unchanged.
#pragma once

#include <cstdint>

#include "server/metrics/prometheus_text.h"

namespace lookalike::server {

struct ProcessStats {
  double cpu_seconds = 0;         // user + system
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;           // soft RLIMIT_NOFILE
  uint64_t threads = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};

/// Fields that cannot be read stay 0.
ProcessStats ReadProcessStats();

/// Appends the process_* families.
void WriteProcessMetrics(const ProcessStats& stats, PrometheusText* out);

}  // namespace lookalike::server
