// Counters and latency histograms of the REST API, per route pattern ("/{index}/_search"),
// method and status class, exported in the Prometheus text format.
//
// Labels come from closed sets (the router's patterns, six method names, five status classes),
// so a client cannot grow the number of series with made-up paths: requests that match no
// route count under "unmatched".
//
// Thread safety: Record runs on every request from any worker thread and takes no lock (relaxed
// atomic increments on memory allocated at construction); Write may run concurrently with it and
// sees each counter at some recent value.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/metrics/prometheus_text.h"

namespace lookalike::server {

class HttpMetrics {
 public:
  /// Upper bounds (seconds) of the latency histogram buckets; +Inf is implied.
  static constexpr std::array<double, 14> kBucketBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  HttpMetrics() { SetRoutes({}); }
  /// `routes`: the router's patterns, indexed by route id (Router::RouteOf). Called once, after
  /// the routes are registered and before the first Record; forgets earlier counts.
  void SetRoutes(std::vector<std::string> routes);

  /// One finished request. `route` is a route id, or -1 (or out of range) for "unmatched".
  void Record(int route, std::string_view method, int status, double seconds);

  /// Appends lookalike_http_requests_total and lookalike_http_request_duration_seconds; series
  /// that never saw a request are left out.
  void Write(PrometheusText* out) const;
  /// Requests recorded so far, every route, method and status.
  uint64_t TotalRequests() const;

 private:
  static constexpr size_t kMethods = 6;  // GET, HEAD, POST, PUT, DELETE, other
  static constexpr size_t kClasses = 5;  // 1xx … 5xx
  struct Series {
    std::array<std::array<std::atomic<uint64_t>, kClasses>, kMethods> requests{};
    std::array<std::atomic<uint64_t>, kBucketBounds.size() + 1> buckets{};  // not cumulative
    std::atomic<uint64_t> sum_nanos{0};
  };

  std::vector<std::string> routes_;  // plus "unmatched" at the end
  std::unique_ptr<Series[]> series_;
};

}  // namespace lookalike::server
