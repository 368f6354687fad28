#include "lookalike/metrics.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <thread>

namespace lookalike {

size_t Counter::Stripe() {
  // One stripe per thread, chosen once; threads of a small pool land on different stripes.
  thread_local const size_t stripe = std::hash<std::thread::id>{}(std::this_thread::get_id());
  return stripe % kStripes;
}

uint64_t Counter::Value() const {
  uint64_t total = 0;
  for (const Cell& cell : stripes_) total += cell.value.load(std::memory_order_relaxed);
  return total;
}

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {
  assert(std::is_sorted(bounds_.begin(), bounds_.end()));
}

void Histogram::Observe(double value) {
  value = std::max(0.0, value);
  size_t bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                      bounds_.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<uint64_t>(value * 1e9), std::memory_order_relaxed);
}

HistogramValues Histogram::Values() const {
  HistogramValues v;
  v.bounds = bounds_;
  v.counts.resize(bounds_.size() + 1);
  for (size_t i = 0; i < v.counts.size(); ++i) {
    v.counts[i] = buckets_[i].load(std::memory_order_relaxed);
    v.count += v.counts[i];
  }
  v.sum = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
  return v;
}

MetricsRegistry::Family& MetricsRegistry::FamilyOf(const std::string& name,
                                                   const std::string& help, MetricType type) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    it->second.help = help;
    it->second.type = type;
  }
  assert(it->second.type == type);
  return it->second;
}

std::shared_ptr<Counter> MetricsRegistry::GetCounter(const std::string& name,
                                                     const std::string& help,
                                                     const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  Series& s = FamilyOf(name, help, MetricType::kCounter).series[labels];
  if (!s.counter) s.counter = std::make_shared<Counter>();
  return s.counter;
}

std::shared_ptr<Histogram> MetricsRegistry::GetHistogram(const std::string& name,
                                                         const std::string& help,
                                                         std::span<const double> bounds,
                                                         const MetricLabels& labels) {
  std::lock_guard lock(mu_);
  Series& s = FamilyOf(name, help, MetricType::kHistogram).series[labels];
  if (!s.histogram) s.histogram = std::make_shared<Histogram>(bounds);
  return s.histogram;
}

void MetricsRegistry::RemoveSeries(const std::string& label, const std::string& value) {
  std::lock_guard lock(mu_);
  for (auto& [name, family] : families_) {
    std::erase_if(family.series, [&](const auto& entry) {
      return std::find(entry.first.begin(), entry.first.end(), std::pair(label, value)) !=
             entry.first.end();
    });
  }
}

int MetricsRegistry::AddCollector(Collector collector) {
  std::lock_guard lock(mu_);
  collectors_.emplace(next_collector_, std::make_shared<Collector>(std::move(collector)));
  return next_collector_++;
}

void MetricsRegistry::RemoveCollector(int id) {
  std::lock_guard lock(mu_);
  collectors_.erase(id);
}

std::vector<MetricFamily> MetricsRegistry::Collect() const {
  std::vector<MetricFamily> out;
  std::vector<std::shared_ptr<Collector>> collectors;
  {
    std::lock_guard lock(mu_);
    out.reserve(families_.size());
    for (const auto& [name, family] : families_) {
      MetricFamily f{name, family.help, family.type, {}};
      for (const auto& [labels, series] : family.series) {
        MetricSample sample{labels, 0, {}};
        if (series.counter) {
          uint64_t v = series.counter->Value();
          if (v == 0) continue;
          sample.value = static_cast<double>(v);
        } else {
          sample.histogram = series.histogram->Values();
          if (sample.histogram.count == 0) continue;
        }
        f.samples.push_back(std::move(sample));
      }
      out.push_back(std::move(f));
    }
    for (const auto& [id, c] : collectors_) collectors.push_back(c);
  }
  for (const auto& c : collectors) (*c)(&out);
  return out;
}

}  // namespace lookalike
