#include "server/metrics/http_metrics.h"

#include <algorithm>

namespace lookalike::server {
namespace {

constexpr std::string_view kMethodNames[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "other"};
constexpr std::string_view kClassNames[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

size_t MethodSlot(std::string_view method) {
  for (size_t i = 0; i + 1 < std::size(kMethodNames); ++i) {
    if (method == kMethodNames[i]) return i;
  }
  return std::size(kMethodNames) - 1;
}

}  // namespace

void HttpMetrics::SetRoutes(std::vector<std::string> routes) {
  routes_ = std::move(routes);
  routes_.emplace_back("unmatched");
  series_ = std::make_unique<Series[]>(routes_.size());
}

void HttpMetrics::Record(int route, std::string_view method, int status, double seconds) {
  size_t r = route >= 0 && static_cast<size_t>(route) + 1 < routes_.size()
                 ? static_cast<size_t>(route)
                 : routes_.size() - 1;
  Series& s = series_[r];
  size_t status_class = static_cast<size_t>(std::clamp(status / 100, 1, 5) - 1);
  s.requests[MethodSlot(method)][status_class].fetch_add(1, std::memory_order_relaxed);
  size_t bucket = static_cast<size_t>(
      std::lower_bound(kBucketBounds.begin(), kBucketBounds.end(), seconds) -
      kBucketBounds.begin());
  s.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  s.sum_nanos.fetch_add(static_cast<uint64_t>(std::max(0.0, seconds) * 1e9),
                        std::memory_order_relaxed);
}

uint64_t HttpMetrics::TotalRequests() const {
  uint64_t total = 0;
  for (size_t r = 0; r < routes_.size(); ++r) {
    for (const auto& per_method : series_[r].requests) {
      for (const auto& n : per_method) total += n.load(std::memory_order_relaxed);
    }
  }
  return total;
}

void HttpMetrics::Write(PrometheusText* out) const {
  out->Family("lookalike_http_requests_total", "counter",
              "REST requests answered, by route pattern, method and status class.");
  for (size_t r = 0; r < routes_.size(); ++r) {
    for (size_t m = 0; m < kMethods; ++m) {
      for (size_t c = 0; c < kClasses; ++c) {
        uint64_t n = series_[r].requests[m][c].load(std::memory_order_relaxed);
        if (n == 0) continue;
        out->Sample("lookalike_http_requests_total",
                    {{"route", routes_[r]}, {"method", kMethodNames[m]},
                     {"status", kClassNames[c]}},
                    static_cast<double>(n));
      }
    }
  }
  out->Family("lookalike_http_request_duration_seconds", "histogram",
              "Time from a complete request to its response, by route pattern.");
  for (size_t r = 0; r < routes_.size(); ++r) {
    const Series& s = series_[r];
    uint64_t cumulative = 0;
    std::array<uint64_t, kBucketBounds.size() + 1> counts;
    for (size_t b = 0; b < counts.size(); ++b) {
      counts[b] = s.buckets[b].load(std::memory_order_relaxed);
    }
    uint64_t total = 0;
    for (uint64_t c : counts) total += c;
    if (total == 0) continue;
    for (size_t b = 0; b < counts.size(); ++b) {
      cumulative += counts[b];
      std::string le = b < kBucketBounds.size() ? PrometheusNumber(kBucketBounds[b]) : "+Inf";
      out->Sample("lookalike_http_request_duration_seconds_bucket",
                  {{"route", routes_[r]}, {"le", le}}, static_cast<double>(cumulative));
    }
    out->Sample("lookalike_http_request_duration_seconds_sum", {{"route", routes_[r]}},
                static_cast<double>(s.sum_nanos.load(std::memory_order_relaxed)) / 1e9);
    out->Sample("lookalike_http_request_duration_seconds_count", {{"route", routes_[r]}},
                static_cast<double>(cumulative));
  }
}

}  // namespace lookalike::server
