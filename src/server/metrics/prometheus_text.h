// Writer for the Prometheus text exposition format (version 0.0.4): "# HELP" and "# TYPE" lines
// per metric family, then one sample per line, `name{label="value",…} number`.
//
// Label values are escaped as the format requires (backslash, double quote, newline); numbers
// print as integers when they are whole and small enough, otherwise with full precision, and
// ±Inf/NaN with the format's spellings.
#pragma once

#include <initializer_list>
#include <vector>
#include <string>
#include <string_view>
#include <utility>

#include "lookalike/metrics.h"

namespace lookalike::server {

using PrometheusLabels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class PrometheusText {
 public:
  /// Starts a family: `type` is "counter", "gauge" or "histogram".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, PrometheusLabels labels, double value);
  void Sample(std::string_view name, double value) { Sample(name, {}, value); }
  /// A sample with run-time labels; `le` (a histogram bucket's bound) is appended as the last
  /// label when not empty.
  void Sample(std::string_view name, const MetricLabels& labels, double value,
              std::string_view le = {});

  const std::string& str() const { return out_; }

 private:
  void Labels(std::initializer_list<std::pair<std::string_view, std::string_view>> fixed,
              const MetricLabels* dynamic, std::string_view le);
  std::string out_;
};

/// Appends every family of a MetricsRegistry::Collect (counters, gauges and histograms with
/// cumulative `le` buckets, _sum and _count).
void WriteMetricFamilies(const std::vector<MetricFamily>& families, PrometheusText* out);

/// A number as the format spells it ("12", "0.25", "+Inf", "NaN").
std::string PrometheusNumber(double value);

}  // namespace lookalike::server
