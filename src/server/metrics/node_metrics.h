// GET /_prometheus/metrics (the path of OpenSearch's Prometheus exporter plugin): the node's
// metrics in the Prometheus text format — REST requests and latency per route, worker lanes
// (Elasticsearch's thread pools), per-index document counts and sizes, and the process's CPU,
// memory and file descriptors.
//
// Scraping takes the locks ListIndices takes (briefly, per index); recording on the request path
// takes none (HttpMetrics).
#pragma once

#include <functional>
#include <vector>

#include "lookalike/engine.h"
#include "server/http/worker_pool.h"
#include "server/metrics/http_metrics.h"
#include "server/router.h"

namespace lookalike::server {

struct NodeMetricsSources {
  Engine* engine = nullptr;
  const HttpMetrics* http = nullptr;
  /// Lane statistics, read at scrape time (the HTTP server exists only after registration).
  std::function<std::vector<WorkerPoolStats>()> lanes;
};

/// The whole exposition text.
std::string RenderNodeMetrics(const NodeMetricsSources& sources);

/// Registers GET /_prometheus/metrics.
void RegisterMetricsHandler(Router& router, NodeMetricsSources sources);

}  // namespace lookalike::server
