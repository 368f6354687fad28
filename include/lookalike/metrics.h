// A small typed metrics registry: counters and histograms by name and labels, cheap enough to
// update on every search and every write, and scrape-time collectors for values that are read
// rather than counted (sizes, queue depths, page-cache residency). The library records; the
// server renders (Prometheus text, the status page). Nothing here knows a text format.
//
// Cost on the recording path: Counter::Add and Histogram::Observe are relaxed atomic increments
// on memory allocated when the series was created; no lock, no allocation. Callers keep the
// shared_ptr a registry hands out and record through it; only creating or removing a series
// and collecting take the registry's mutex.
//
// Thread safety: every member function of every class here may be called from any thread.
// MetricsRegistry::mu_ guards the series table and the collectors; the values themselves are
// atomics, so Collect sees each at some recent value (a histogram's buckets and its sum may be
// one observation apart).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace lookalike {

/// Label name → value, in the order they are rendered.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

/// A monotonically increasing count. Spread over a few cache lines so that threads on different
/// cores rarely write the same line; Value() adds them up.
class Counter {
 public:
  void Add(uint64_t n = 1) { stripes_[Stripe()].value.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const;

 private:
  static constexpr size_t kStripes = 8;
  static size_t Stripe();
  struct alignas(64) Cell {
    std::atomic<uint64_t> value{0};
  };
  std::array<Cell, kStripes> stripes_{};
};

/// The values of a histogram at one moment. `counts[i]` is the number of observations in bucket
/// i alone (not cumulative): (bounds[i-1], bounds[i]]; the last entry is above every bound.
struct HistogramValues {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;  // bounds.size() + 1 entries
  double sum = 0;
  uint64_t count = 0;            // sum of counts
};

/// Observations of a non-negative quantity (seconds, bytes) in fixed buckets.
class Histogram {
 public:
  /// `bounds`: strictly increasing upper bounds; an implicit last bucket holds everything above.
  explicit Histogram(std::span<const double> bounds);
  /// Counts `value` in the first bucket whose bound is >= value (a value equal to a bound falls
  /// in that bound's bucket, as Prometheus's `le` means). Negative values count as 0.
  void Observe(double value);
  HistogramValues Values() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<uint64_t> sum_nanos_{0};                // sum * 1e9, so integer adds suffice
};

/// Upper bounds (seconds) for request and search latencies: 100 µs … 10 s.
inline constexpr std::array<double, 16> kLatencyBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

enum class MetricType : uint8_t { kCounter, kGauge, kHistogram };

/// One series of a family as collected.
struct MetricSample {
  MetricLabels labels;
  double value = 0;           // counters and gauges
  HistogramValues histogram;  // histograms
};

/// Every series of one metric name.
struct MetricFamily {
  std::string name;  // e.g. "lookalike_search_duration_seconds"
  std::string help;  // one line
  MetricType type = MetricType::kGauge;
  std::vector<MetricSample> samples;
};

class MetricsRegistry {
 public:
  /// The counter `name` with exactly these labels, created on first use. `help` is kept from the
  /// first call for the name. A name is one type: asking for a counter under a histogram's name
  /// is a programmer error (asserted).
  std::shared_ptr<Counter> GetCounter(const std::string& name, const std::string& help,
                                      const MetricLabels& labels = {});
  /// The histogram `name` with these labels; `bounds` is used when it is created.
  std::shared_ptr<Histogram> GetHistogram(const std::string& name, const std::string& help,
                                          std::span<const double> bounds,
                                          const MetricLabels& labels = {});
  /// Forgets every series that has label `label` = `value` (an index was deleted). Holders of
  /// the shared_ptrs may still record; nobody sees it any more.
  void RemoveSeries(const std::string& label, const std::string& value);

  /// A function that appends families computed at collection time (gauges such as sizes and
  /// queue depths). Returns an id for RemoveCollector. Collectors run under no lock of the
  /// registry's, in the order added, so they may be slow but must not call back into it.
  using Collector = std::function<void(std::vector<MetricFamily>*)>;
  int AddCollector(Collector collector);
  void RemoveCollector(int id);

  /// Every counter and histogram family (series that never counted anything are left out;
  /// families stay, so their HELP and TYPE are always rendered), then the collectors' families.
  /// Families sorted by name, series by labels; a collector's families follow as appended.
  std::vector<MetricFamily> Collect() const;

 private:
  struct Series {
    std::shared_ptr<Counter> counter;
    std::shared_ptr<Histogram> histogram;
  };
  struct Family {
    std::string help;
    MetricType type;
    std::map<MetricLabels, Series> series;
  };
  Family& FamilyOf(const std::string& name, const std::string& help, MetricType type);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;             // guarded by mu_
  std::map<int, std::shared_ptr<Collector>> collectors_;  // guarded by mu_
  int next_collector_ = 0;                             // guarded by mu_
};

}  // namespace lookalike
