#include "lookalike/metrics.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/residency.h"

namespace lookalike {
namespace {

TEST(Counter, ConcurrentAddsSumExactly) {
  Counter counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&counter, t] {
      for (int i = 0; i < 100000; ++i) counter.Add(t % 2 == 0 ? 1 : 2);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(counter.Value(), 4u * 100000 + 4u * 200000);
}

TEST(Histogram, ValueOnABoundFallsInThatBoundsBucket) {
  const double bounds[] = {0.1, 1, 10};
  Histogram h(bounds);
  h.Observe(0.1);   // le 0.1
  h.Observe(0.10000001);  // le 1
  h.Observe(1);     // le 1
  h.Observe(10);    // le 10
  h.Observe(11);    // +Inf
  h.Observe(-5);    // counted as 0: le 0.1
  HistogramValues v = h.Values();
  ASSERT_EQ(v.counts.size(), 4u);
  EXPECT_EQ(v.counts[0], 2u);
  EXPECT_EQ(v.counts[1], 2u);
  EXPECT_EQ(v.counts[2], 1u);
  EXPECT_EQ(v.counts[3], 1u);
  EXPECT_EQ(v.count, 6u);
  EXPECT_NEAR(v.sum, 0.1 + 0.10000001 + 1 + 10 + 11, 1e-6);
}

TEST(Histogram, ConcurrentObservationsAllCounted) {
  Histogram h(kLatencyBuckets);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&h] {
      for (int i = 0; i < 50000; ++i) h.Observe(0.001 * (i % 7));
    });
  }
  for (auto& th : threads) th.join();
  HistogramValues v = h.Values();
  EXPECT_EQ(v.count, 200000u);
  uint64_t sum_of_counts = 0;
  for (uint64_t c : v.counts) sum_of_counts += c;
  EXPECT_EQ(sum_of_counts, 200000u);
}

TEST(MetricsRegistry, SameNameAndLabelsIsTheSameSeries) {
  MetricsRegistry registry;
  auto a = registry.GetCounter("x_total", "help", {{"index", "a"}});
  auto again = registry.GetCounter("x_total", "other help", {{"index", "a"}});
  auto b = registry.GetCounter("x_total", "help", {{"index", "b"}});
  EXPECT_EQ(a, again);
  EXPECT_NE(a, b);
  a->Add(3);
  auto families = registry.Collect();
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].help, "help");
  EXPECT_EQ(families[0].type, MetricType::kCounter);
  ASSERT_EQ(families[0].samples.size(), 1u);  // b never counted: left out
  EXPECT_EQ(families[0].samples[0].value, 3);
  EXPECT_EQ(families[0].samples[0].labels, (MetricLabels{{"index", "a"}}));
}

TEST(MetricsRegistry, RemoveSeriesDropsEveryFamilysSeriesOfTheLabel) {
  MetricsRegistry registry;
  registry.GetCounter("c_total", "h", {{"index", "gone"}})->Add();
  registry.GetCounter("c_total", "h", {{"index", "kept"}})->Add();
  registry.GetHistogram("h_seconds", "h", kLatencyBuckets, {{"index", "gone"}, {"kind", "knn"}})
      ->Observe(0.01);
  registry.RemoveSeries("index", "gone");
  for (const MetricFamily& f : registry.Collect()) {
    for (const MetricSample& s : f.samples) EXPECT_NE(s.labels[0].second, "gone") << f.name;
  }
  // Asking again creates a fresh series.
  EXPECT_EQ(registry.GetCounter("c_total", "h", {{"index", "gone"}})->Value(), 0u);
}

TEST(MetricsRegistry, CollectorsAddTheirFamiliesUntilRemoved) {
  MetricsRegistry registry;
  int id = registry.AddCollector([](std::vector<MetricFamily>* out) {
    out->push_back({"g", "a gauge", MetricType::kGauge, {{{}, 42, {}}}});
  });
  auto families = registry.Collect();
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].samples[0].value, 42);
  registry.RemoveCollector(id);
  EXPECT_TRUE(registry.Collect().empty());
}

TEST(ResidentBytes, CountsTouchedPagesOfAMapping) {
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t length = 64 * page;
  void* addr = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(addr, MAP_FAILED);
  EXPECT_EQ(ResidentBytes(addr, length), 0u);
  std::memset(addr, 1, 3 * page);  // touch the first three pages
  EXPECT_EQ(ResidentBytes(addr, length), 3 * page);
  EXPECT_EQ(ResidentBytes(nullptr, 0), 0u);
  ::munmap(addr, length);
}

}  // namespace
}  // namespace lookalike
