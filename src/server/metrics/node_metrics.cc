#include "server/metrics/node_metrics.h"

#include "server/metrics/process_metrics.h"
#include "server/metrics/system_stats.h"

namespace lookalike::server {
namespace {

void WriteLaneMetrics(const std::vector<WorkerPoolStats>& lanes, PrometheusText* out) {
  struct Gauge {
    const char* name;
    const char* type;
    const char* help;
    double (*value)(const WorkerPoolStats&);
  };
  static const Gauge kGauges[] = {
      {"lookalike_thread_pool_threads", "gauge", "Worker threads of the lane.",
       [](const WorkerPoolStats& s) { return static_cast<double>(s.threads); }},
      {"lookalike_thread_pool_active", "gauge", "Requests running in the lane now.",
       [](const WorkerPoolStats& s) { return static_cast<double>(s.active); }},
      {"lookalike_thread_pool_queue", "gauge", "Requests waiting for a thread of the lane.",
       [](const WorkerPoolStats& s) { return static_cast<double>(s.queue); }},
      {"lookalike_thread_pool_rejected_total", "counter",
       "Requests refused with 429 because the lane's queue was full.",
       [](const WorkerPoolStats& s) { return static_cast<double>(s.rejected); }},
      {"lookalike_thread_pool_completed_total", "counter", "Requests the lane finished.",
       [](const WorkerPoolStats& s) { return static_cast<double>(s.completed); }},
  };
  for (const Gauge& g : kGauges) {
    out->Family(g.name, g.type, g.help);
    for (const WorkerPoolStats& lane : lanes) out->Sample(g.name, {{"pool", lane.name}}, g.value(lane));
  }
  out->Family("lookalike_thread_pool_queue_capacity", "gauge",
              "Bound of the lane's queue (absent when unbounded).");
  for (const WorkerPoolStats& lane : lanes) {
    if (lane.queue_capacity == kUnboundedQueue) continue;
    out->Sample("lookalike_thread_pool_queue_capacity", {{"pool", lane.name}},
                static_cast<double>(lane.queue_capacity));
  }
}

void WriteIndexMetrics(const std::vector<IndexInfo>& indices, PrometheusText* out) {
  out->Family("lookalike_indices", "gauge", "Indices on this node, failed ones included.");
  out->Sample("lookalike_indices", static_cast<double>(indices.size()));
  struct Gauge {
    const char* name;
    const char* help;
    double (*value)(const IndexInfo&);
  };
  static const Gauge kGauges[] = {
      {"lookalike_index_docs", "Live documents of the index.",
       [](const IndexInfo& i) { return static_cast<double>(i.docs_count); }},
      {"lookalike_index_docs_deleted", "Deleted documents not yet reclaimed.",
       [](const IndexInfo& i) { return static_cast<double>(i.docs_deleted); }},
      {"lookalike_index_store_bytes", "Approximate bytes on disk: documents and vector snapshots.",
       [](const IndexInfo& i) { return static_cast<double>(i.store_size_bytes); }},
      {"lookalike_index_failed", "1 when the index failed to load at startup (health red).",
       [](const IndexInfo& i) { return i.failure.empty() ? 0.0 : 1.0; }},
  };
  for (const Gauge& g : kGauges) {
    out->Family(g.name, "gauge", g.help);
    for (const IndexInfo& index : indices) out->Sample(g.name, {{"index", index.name}}, g.value(index));
  }
}

}  // namespace

std::string RenderNodeMetrics(const NodeMetricsSources& sources) {
  PrometheusText out;
  if (sources.http != nullptr) sources.http->Write(&out);
  if (sources.lanes) WriteLaneMetrics(sources.lanes(), &out);
  if (sources.engine != nullptr) {
    WriteIndexMetrics(sources.engine->ListIndices(), &out);
    if (const MetricsRegistry* registry = sources.engine->metrics()) {
      WriteMetricFamilies(registry->Collect(), &out);
    }
  }
  WriteProcessMetrics(ReadProcessStats(), &out);
  WriteSystemMetrics(ReadOsStats(), ReadFsStats(sources.data_dir), &out);
  return out.str();
}

void RegisterMetricsHandler(Router& router, NodeMetricsSources sources) {
  router.Add("GET", "/_prometheus/metrics",
             [sources = std::move(sources)](const RestRequest&, HttpResponse* resp) {
               resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
               resp->body = RenderNodeMetrics(sources);
             });
}

}  // namespace lookalike::server
