#include "server/metrics/status_history.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/json_writer.h"
#include "server/metrics/process_metrics.h"
#include "server/metrics/system_stats.h"

namespace lookalike::server {

double HistogramQuantile(const std::vector<double>& bounds, const std::vector<uint64_t>& counts,
                         double q) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0 || bounds.empty()) return 0;
  const double rank = q * static_cast<double>(total);
  double below = 0;
  for (size_t b = 0; b < counts.size(); ++b) {
    const double here = static_cast<double>(counts[b]);
    if (below + here >= rank && here > 0) {
      if (b >= bounds.size()) return bounds.back();
      const double lower = b == 0 ? 0 : bounds[b - 1];
      return lower + (bounds[b] - lower) * std::clamp((rank - below) / here, 0.0, 1.0);
    }
    below += here;
  }
  return bounds.back();
}

StatusHistory::StatusHistory(Engine* engine, const HttpMetrics* http, std::string data_dir,
                             std::chrono::milliseconds interval, size_t capacity)
    : engine_(engine),
      http_(http),
      data_dir_(std::move(data_dir)),
      interval_(interval),
      capacity_(std::max<size_t>(capacity, 1)) {
  ring_.reserve(capacity_);
}

void StatusHistory::Start() {
  SampleNow();
  sampler_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      SampleNow();
      lock.lock();
    }
  });
}

void StatusHistory::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (sampler_.joinable()) sampler_.join();
}

StatusHistory::Totals StatusHistory::ReadTotals(StatusSample* gauges) const {
  Totals t;
  t.at = std::chrono::steady_clock::now();
  if (http_ != nullptr) t.requests = static_cast<double>(http_->TotalRequests());
  MetricsRegistry* registry = engine_ != nullptr ? engine_->metrics() : nullptr;
  if (registry != nullptr) {
    for (const MetricFamily& f : registry->Collect()) {
      for (const MetricSample& s : f.samples) {
        if (f.name == "lookalike_searches_total") {
          t.searches += s.value;
        } else if (f.name == "lookalike_docs_indexed_total") {
          t.docs_indexed += s.value;
        } else if (f.name == "lookalike_vector_index_memory_bytes") {
          gauges->vector_memory_bytes += static_cast<uint64_t>(s.value);
        } else if (f.name == "lookalike_search_duration_seconds") {
          const HistogramValues& h = s.histogram;
          if (t.bounds.empty()) {
            t.bounds = h.bounds;
            t.latency_counts.assign(h.counts.size(), 0);
          }
          if (h.counts.size() != t.latency_counts.size()) continue;
          for (size_t b = 0; b < h.counts.size(); ++b) t.latency_counts[b] += h.counts[b];
        }
      }
    }
    for (const IndexInfo& info : engine_->ListIndices()) {
      gauges->store_bytes += static_cast<uint64_t>(std::max<int64_t>(0, info.store_size_bytes));
    }
  }
  gauges->rss_bytes = ReadProcessStats().resident_bytes;
  if (!data_dir_.empty()) {
    FsStats fs = ReadFsStats(data_dir_);
    gauges->disk_total_bytes = fs.total_bytes;
    gauges->disk_used_bytes = fs.total_bytes - std::min(fs.total_bytes, fs.free_bytes);
  }
  return t;
}

void StatusHistory::SampleNow() {
  StatusSample sample;
  sample.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  Totals now = ReadTotals(&sample);
  std::lock_guard lock(mu_);
  if (have_previous_) {
    const double seconds =
        std::max(1e-3, std::chrono::duration<double>(now.at - previous_.at).count());
    // A deleted index takes its counts along: a total that went down is no negative rate.
    auto rate = [seconds](double after, double before) {
      return std::max(0.0, after - before) / seconds;
    };
    sample.searches_per_second = rate(now.searches, previous_.searches);
    sample.requests_per_second = rate(now.requests, previous_.requests);
    sample.docs_indexed_per_second = rate(now.docs_indexed, previous_.docs_indexed);
    if (!now.bounds.empty()) {
      std::vector<uint64_t> delta(now.latency_counts.size(), 0);
      for (size_t b = 0; b < delta.size(); ++b) {
        uint64_t before = b < previous_.latency_counts.size() ? previous_.latency_counts[b] : 0;
        delta[b] = now.latency_counts[b] > before ? now.latency_counts[b] - before : 0;
      }
      sample.search_p50_ms = 1e3 * HistogramQuantile(now.bounds, delta, 0.50);
      sample.search_p95_ms = 1e3 * HistogramQuantile(now.bounds, delta, 0.95);
      sample.search_p99_ms = 1e3 * HistogramQuantile(now.bounds, delta, 0.99);
    }
  }
  previous_ = std::move(now);
  have_previous_ = true;
  if (ring_.size() < capacity_) {
    ring_.push_back(sample);
  } else {
    ring_[next_] = sample;
  }
  next_ = (next_ + 1) % capacity_;
}

std::vector<StatusSample> StatusHistory::Samples() const {
  std::lock_guard lock(mu_);
  if (ring_.size() < capacity_) return ring_;
  std::vector<StatusSample> out(ring_.begin() + static_cast<std::ptrdiff_t>(next_), ring_.end());
  out.insert(out.end(), ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(next_));
  return out;
}

namespace {

// The embedding models named by the vector fields of a mapping, sorted.
std::set<std::string> ModelsOf(const MappingDefinition& mapping) {
  std::set<std::string> models;
  for (const FieldDefinition& field : mapping.fields) {
    if (field.embedding && !field.embedding->model.empty()) models.insert(field.embedding->model);
  }
  return models;
}

void WriteIndexTable(Engine& engine, JsonWriter& w) {
  std::map<std::string, std::pair<double, double>> vectors;  // index → (vectors, memory bytes)
  if (MetricsRegistry* registry = engine.metrics()) {
    for (const MetricFamily& f : registry->Collect()) {
      bool count = f.name == "lookalike_vector_index_vectors";
      if (!count && f.name != "lookalike_vector_index_memory_bytes") continue;
      for (const MetricSample& s : f.samples) {
        for (const auto& [key, value] : s.labels) {
          if (key != "index") continue;
          (count ? vectors[value].first : vectors[value].second) += s.value;
        }
      }
    }
  }
  w.Key("indices").BeginArray();
  for (const IndexInfo& info : engine.ListIndices()) {
    w.BeginObject().Key("index").String(info.name).Key("health").String(info.health);
    w.Key("docs").Int(info.docs_count).Key("store_bytes").Int(info.store_size_bytes);
    w.Key("vectors").Int(static_cast<int64_t>(vectors[info.name].first));
    w.Key("vector_memory_bytes").Int(static_cast<int64_t>(vectors[info.name].second));
    w.Key("models").BeginArray();
    if (info.failure.empty()) {
      auto described = engine.DescribeIndices(info.name);
      if (described.ok() && !described->empty()) {
        for (const std::string& m : ModelsOf(described->front().mapping)) w.String(m);
      }
    }
    w.EndArray().EndObject();
  }
  w.EndArray();
}

}  // namespace

void RegisterStatusHandler(Router& router, Engine& engine, const StatusHistory& history) {
  router.Add("GET", "/_lookalike/status",
             [&engine, &history](const RestRequest&, HttpResponse* resp) {
               JsonWriter w;
               w.BeginObject().Key("interval_seconds")
                   .Double(std::chrono::duration<double>(history.interval()).count())
                   .Key("capacity").Int(static_cast<int64_t>(history.capacity()));
               w.Key("samples").BeginArray();
               for (const StatusSample& s : history.Samples()) {
                 w.BeginObject().Key("time").Int(s.time_ms)
                     .Key("searches_per_second").Double(s.searches_per_second)
                     .Key("requests_per_second").Double(s.requests_per_second)
                     .Key("search_p50_ms").Double(s.search_p50_ms)
                     .Key("search_p95_ms").Double(s.search_p95_ms)
                     .Key("search_p99_ms").Double(s.search_p99_ms)
                     .Key("docs_indexed_per_second").Double(s.docs_indexed_per_second)
                     .Key("rss_bytes").Int(static_cast<int64_t>(s.rss_bytes))
                     .Key("vector_memory_bytes").Int(static_cast<int64_t>(s.vector_memory_bytes))
                     .Key("disk_used_bytes").Int(static_cast<int64_t>(s.disk_used_bytes))
                     .Key("disk_total_bytes").Int(static_cast<int64_t>(s.disk_total_bytes))
                     .Key("store_bytes").Int(static_cast<int64_t>(s.store_bytes))
                     .EndObject();
               }
               w.EndArray();
               WriteIndexTable(engine, w);
               w.EndObject();
               resp->status = 200;
               resp->body = w.Take();
             });
}

}  // namespace lookalike::server
