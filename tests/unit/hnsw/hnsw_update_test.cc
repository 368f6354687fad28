// Deletes (tombstones, compaction, recall after delete + reinsert), replace, filtered search and
// concurrent insert + search.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <unordered_set>

#include "test_data.h"

namespace lookalike {
namespace {
using namespace testing_data;

std::unique_ptr<VectorIndex> MakeIndex(size_t d, Metric m = Metric::kCosine) {
  HnswParams p;
  p.ef_construction = 100;
  auto created = CreateHnswIndex(d, m, p);
  EXPECT_TRUE(created.ok());
  return std::move(created).value();
}

double MeasureRecall(const VectorIndex& index, const std::vector<float>& x,
                     const std::vector<uint64_t>& labels, const std::vector<float>& queries,
                     size_t d, const std::unordered_set<uint64_t>& dead) {
  auto truth = BruteForce(index.metric(), x, labels, queries, d, 10,
                          [&](uint64_t l) { return !dead.count(l); });
  std::vector<std::vector<SearchHit>> got(queries.size() / d);
  for (size_t q = 0; q < got.size(); ++q) {
    EXPECT_TRUE(index.Search(&queries[q * d], {}, &got[q]).ok());
    for (const auto& h : got[q]) EXPECT_FALSE(dead.count(h.label)) << "deleted label returned";
  }
  return Recall(truth, got);
}

TEST(HnswDelete, RemovedNeverReturnedAndRecallHolds) {
  const size_t n = 10000, d = 48;
  auto x = Clustered(n, d, 31);
  auto labels = Iota(n);
  auto index = MakeIndex(d);
  ASSERT_TRUE(index->AddBatch(n, labels.data(), x.data(), 2).ok());
  auto queries = Clustered(100, d, 32);

  // Delete 30% (every label whose hash falls in the first 30%).
  std::unordered_set<uint64_t> dead;
  std::mt19937 rng(5);
  for (uint64_t l = 0; l < n; ++l) {
    if (rng() % 10 < 3) {
      ASSERT_TRUE(index->Remove(l).ok());
      dead.insert(l);
    }
  }
  EXPECT_EQ(index->size(), n - dead.size());
  EXPECT_TRUE(index->Remove(*dead.begin()).IsNotFound());
  EXPECT_FALSE(index->Contains(*dead.begin()));
  double after_delete = MeasureRecall(*index, x, labels, queries, d, dead);
  EXPECT_GE(after_delete, 0.93);

  // Insert as many new points; they reuse the freed slots.
  auto fresh = Clustered(dead.size(), d, 33);
  auto fresh_labels = Iota(dead.size(), n);
  ASSERT_TRUE(index->AddBatch(fresh_labels.size(), fresh_labels.data(), fresh.data(), 2).ok());
  std::vector<float> all = x;
  all.insert(all.end(), fresh.begin(), fresh.end());
  std::vector<uint64_t> all_labels = labels;
  all_labels.insert(all_labels.end(), fresh_labels.begin(), fresh_labels.end());
  double churned = MeasureRecall(*index, all, all_labels, queries, d, dead);

  // A fresh build over the same live set.
  auto rebuilt = MakeIndex(d);
  std::vector<float> live_x;
  std::vector<uint64_t> live_labels;
  for (size_t i = 0; i < all_labels.size(); ++i) {
    if (dead.count(all_labels[i])) continue;
    live_x.insert(live_x.end(), &all[i * d], &all[i * d] + d);
    live_labels.push_back(all_labels[i]);
  }
  ASSERT_TRUE(rebuilt->AddBatch(live_labels.size(), live_labels.data(), live_x.data(), 2).ok());
  double fresh_recall = MeasureRecall(*rebuilt, all, all_labels, queries, d, dead);
  EXPECT_GE(churned, fresh_recall - 0.03) << "fresh build " << fresh_recall;
  EXPECT_GE(churned, 0.95);
  // Compaction ran: far fewer tombstones than deletes, and no slot growth beyond n + 10%.
  auto stats = index->Stats();
  EXPECT_LT(stats.deleted, dead.size() / 2);
  EXPECT_LE(stats.vector_bytes, (n + n / 10) * d * sizeof(float));
}

TEST(HnswDelete, ReplaceKeepsOneCopy) {
  const size_t d = 16;
  auto index = MakeIndex(d, Metric::kL2);
  auto x = Clustered(200, d, 41);
  auto labels = Iota(200);
  ASSERT_TRUE(index->AddBatch(200, labels.data(), x.data(), 1).ok());
  ASSERT_TRUE(index->Add(5, &x[7 * d]).ok());  // label 5 now holds row 7's vector
  EXPECT_EQ(index->size(), 200u);
  std::vector<SearchHit> out;
  SearchParams sp;
  sp.k = 3;
  ASSERT_TRUE(index->Search(&x[7 * d], sp, &out).ok());
  ASSERT_GE(out.size(), 2u);
  std::unordered_set<uint64_t> got;
  for (const auto& h : out) got.insert(h.label);
  EXPECT_TRUE(got.count(5) && got.count(7));
  EXPECT_EQ(got.size(), out.size());
  // Replacing every label many times compacts the replaced copies away: slots stay bounded.
  for (int round = 0; round < 5; ++round) {
    ASSERT_TRUE(index->AddBatch(200, labels.data(), x.data(), 1).ok());
  }
  EXPECT_EQ(index->size(), 200u);
  EXPECT_LE(index->Stats().vector_bytes, 3 * 200 * d * sizeof(float));  // 6 x 200 without
  ASSERT_TRUE(index->Search(&x[9 * d], sp, &out).ok());
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].label, 9u);
}

// A filter over label % modulus < keep, optionally enumerable.
class ModFilter : public LabelFilter {
 public:
  ModFilter(uint64_t n, uint64_t modulus, uint64_t keep, bool enumerable)
      : n_(n), modulus_(modulus), keep_(keep), enumerable_(enumerable) {}
  bool Contains(uint64_t label) const override { return label % modulus_ < keep_; }
  int64_t Count() const override {
    return enumerable_ ? int64_t(n_ / modulus_ * keep_) : -1;
  }
  bool Enumerate(std::vector<uint64_t>* out) const override {
    if (!enumerable_) return false;
    for (uint64_t l = 0; l < n_; ++l)
      if (Contains(l)) out->push_back(l);
    return true;
  }

 private:
  uint64_t n_, modulus_, keep_;
  bool enumerable_;
};

TEST(HnswFilter, RecallAtSeveralSelectivities) {
  const size_t n = 20000, d = 32;
  auto x = Clustered(n, d, 51);
  auto labels = Iota(n);
  auto index = MakeIndex(d);
  ASSERT_TRUE(index->AddBatch(n, labels.data(), x.data(), 2).ok());
  auto queries = Clustered(50, d, 52);
  struct Case {
    uint64_t modulus, keep;
  };
  for (Case c : {Case{100, 1}, Case{10, 1}, Case{2, 1}}) {
    for (bool enumerable : {true, false}) {
      ModFilter filter(n, c.modulus, c.keep, enumerable);
      auto truth = BruteForce(Metric::kCosine, x, labels, queries, d, 10,
                              [&](uint64_t l) { return filter.Contains(l); });
      std::vector<std::vector<SearchHit>> got(50);
      SearchParams sp;
      sp.filter = &filter;
      for (size_t q = 0; q < 50; ++q) {
        ASSERT_TRUE(index->Search(&queries[q * d], sp, &got[q]).ok());
        ASSERT_EQ(got[q].size(), 10u);
        for (const auto& h : got[q]) ASSERT_TRUE(filter.Contains(h.label));
      }
      EXPECT_GE(Recall(truth, got), 0.95)
          << "selectivity 1/" << c.modulus << " enumerable " << enumerable;
    }
  }
  ModFilter none(n, 10, 0, true);
  SearchParams sp;
  sp.filter = &none;
  std::vector<SearchHit> out;
  ASSERT_TRUE(index->Search(&queries[0], sp, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(HnswConcurrency, InsertWhileSearching) {
  const size_t n = 6000, d = 32;
  auto x = Clustered(n, d, 61);
  auto index = MakeIndex(d, Metric::kL2);
  auto labels = Iota(n);
  ASSERT_TRUE(index->AddBatch(1000, labels.data(), x.data(), 1).ok());
  std::atomic<bool> stop{false};
  std::atomic<size_t> searches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      std::vector<SearchHit> out;
      size_t i = t;
      while (!stop.load()) {
        Status st = index->Search(&x[(i++ % n) * d], {}, &out);
        EXPECT_TRUE(st.ok());
        for (const auto& h : out) EXPECT_LT(h.label, n);
        searches.fetch_add(1);
      }
    });
  }
  std::thread writer([&] {
    for (size_t i = 1000; i < 3000; ++i) EXPECT_TRUE(index->Add(labels[i], &x[i * d]).ok());
    for (size_t i = 0; i < 500; ++i) EXPECT_TRUE(index->Remove(i).ok());
  });
  ASSERT_TRUE(index->AddBatch(n - 3000, labels.data() + 3000, x.data() + 3000 * d, 2).ok());
  writer.join();
  stop = true;
  for (auto& r : readers) r.join();
  EXPECT_GT(searches.load(), 0u);
  EXPECT_EQ(index->size(), n - 500);
  // Every inserted vector is findable by itself.
  std::vector<SearchHit> out;
  size_t found = 0;
  for (size_t i = 500; i < n; i += 7) {
    ASSERT_TRUE(index->Search(&x[i * d], {}, &out).ok());
    found += !out.empty() && out[0].distance < 1e-4;
  }
  EXPECT_GE(found, (n - 500) / 7 * 95 / 100);
}

TEST(HnswConcurrency, RemoveRacingInsert) {
  // Each label is removed as soon as it is visible, often while its insert is still running;
  // afterwards nothing may be searchable and the count must be exact.
  const size_t n = 1500, d = 16;
  auto x = Clustered(n, d, 91);
  auto labels = Iota(n);
  auto index = MakeIndex(d, Metric::kL2);
  std::thread remover([&] {
    for (uint64_t l = 0; l < n; ++l) {
      while (!index->Contains(l)) std::this_thread::yield();
      EXPECT_TRUE(index->Remove(l).ok());
    }
  });
  ASSERT_TRUE(index->AddBatch(n, labels.data(), x.data(), 2).ok());
  remover.join();
  EXPECT_EQ(index->size(), 0u);
  std::vector<SearchHit> out;
  for (size_t i = 0; i < n; i += 50) {
    ASSERT_TRUE(index->Search(&x[i * d], {}, &out).ok());
    EXPECT_TRUE(out.empty());
  }
  // And the index is fully usable afterwards.
  ASSERT_TRUE(index->AddBatch(n, labels.data(), x.data(), 2).ok());
  EXPECT_EQ(index->size(), n);
  ASSERT_TRUE(index->Search(&x[0], {}, &out).ok());
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].label, 0u) << out[0].distance << " " << out.size();
  auto st = index->Stats();
  EXPECT_EQ(st.live, n);
  size_t self = 0;
  for (size_t i = 0; i < n; i += 10) {
    ASSERT_TRUE(index->Search(&x[i * d], {}, &out).ok());
    self += !out.empty() && out[0].label == i;
  }
  EXPECT_GE(self, n / 10 * 9 / 10);
}

// Points on a line are the worst case for lost links: the heuristic keeps about one neighbour
// per side, so a back link overwritten by a racing insert leaves a node with no way in. Every
// point must stay reachable (found by its own vector with ef_search > n) after a parallel build.
TEST(HnswConcurrency, ParallelBuildKeepsEveryNodeReachable) {
  const size_t n = 400, d = 3;
  std::vector<float> x(n * d);
  for (size_t i = 0; i < n; ++i) {
    x[i * d] = float(i);
    x[i * d + 1] = 1;
    x[i * d + 2] = 2;
  }
  auto labels = Iota(n);
  size_t unreachable = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    HnswParams p;
    p.code = CodeType::kFloat32;
    p.seed = seed;
    auto index = CreateHnswIndex(d, Metric::kL2, p).value();
    ASSERT_TRUE(index->AddBatch(n, labels.data(), x.data(), 2).ok());
    SearchParams sp;
    sp.k = 1;
    sp.ef_search = int(n) + 10;
    std::vector<SearchHit> out;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(index->Search(&x[i * d], sp, &out).ok());
      unreachable += out.empty() || out[0].label != i;
    }
  }
  EXPECT_EQ(unreachable, 0u);
}

}  // namespace
}  // namespace lookalike
