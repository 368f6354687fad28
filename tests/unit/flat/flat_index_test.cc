// FlatIndex search, filters, deletes, batches and bad input, against a naive brute force.
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

#include "flat_test_util.h"

namespace lookalike::flat {
namespace {

using testing::ExpectSameHits;
using testing::Naive;
using testing::RandomVectors;
using testing::SetFilter;
using Db = std::vector<std::pair<uint64_t, std::vector<float>>>;

constexpr Metric kMetrics[] = {Metric::kL2, Metric::kInnerProduct, Metric::kCosine};

// Builds an index of n random vectors with labels 1000 + 7 * i and the matching oracle data.
std::unique_ptr<FlatIndex> Build(size_t n, size_t dim, Metric metric, Db* db, uint64_t seed = 1) {
  auto created = FlatIndex::Create(dim, metric);
  EXPECT_TRUE(created.ok());
  auto index = std::move(created).value();
  const auto data = RandomVectors(n, dim, seed);
  std::vector<uint64_t> labels(n);
  for (size_t i = 0; i < n; ++i) {
    labels[i] = 1000 + 7 * i;
    db->emplace_back(labels[i], std::vector<float>(data.begin() + i * dim,
                                                   data.begin() + (i + 1) * dim));
  }
  EXPECT_TRUE(index->AddBatch(n, labels.data(), data.data()).ok());
  return index;
}

TEST(FlatIndexTest, MatchesNaiveForEveryMetric) {
  for (Metric metric : kMetrics) {
    for (size_t dim : {1, 3, 37}) {
      Db db;
      auto index = Build(1500, dim, metric, &db);
      EXPECT_EQ(index->size(), 1500u);
      const auto queries = RandomVectors(10, dim, 99);
      for (size_t qi = 0; qi < 10; ++qi) {
        SearchParams p;
        p.k = 10;
        std::vector<SearchHit> got;
        ASSERT_TRUE(index->Search(&queries[qi * dim], p, &got).ok());
        SCOPED_TRACE(std::string(MetricName(metric)) + " dim " + std::to_string(dim));
        ExpectSameHits(Naive(db, &queries[qi * dim], dim, metric, 10), got);
      }
    }
  }
}

TEST(FlatIndexTest, KLargerThanSizeReturnsEverything) {
  Db db;
  auto index = Build(5, 4, Metric::kL2, &db);
  SearchParams p;
  p.k = 100;
  std::vector<SearchHit> got;
  const auto q = RandomVectors(1, 4, 3);
  ASSERT_TRUE(index->Search(q.data(), p, &got).ok());
  ExpectSameHits(Naive(db, q.data(), 4, Metric::kL2, 100), got);
  EXPECT_EQ(got.size(), 5u);
}

TEST(FlatIndexTest, FilterScanAndEnumeratePaths) {
  for (Metric metric : kMetrics) {
    for (bool enumerable : {false, true}) {
      Db db;
      auto index = Build(2000, 16, metric, &db);
      // 2% of labels (small enough for the enumerate path) plus labels not in the index.
      std::set<uint64_t> allowed = {5, 6};
      Db allowed_db;
      for (size_t i = 0; i < db.size(); i += 50) {
        allowed.insert(db[i].first);
        allowed_db.push_back(db[i]);
      }
      SetFilter filter(allowed, enumerable);
      SearchParams p;
      p.k = 7;
      p.filter = &filter;
      const auto q = RandomVectors(1, 16, 5);
      std::vector<SearchHit> got;
      ASSERT_TRUE(index->Search(q.data(), p, &got).ok());
      ExpectSameHits(Naive(allowed_db, q.data(), 16, metric, 7), got);
      for (const auto& h : got) EXPECT_TRUE(allowed.count(h.label));
    }
  }
}

TEST(FlatIndexTest, DeletesNeverReturnedAndReplaceWorks) {
  Db db;
  auto index = Build(300, 8, Metric::kL2, &db);
  Db kept;
  for (size_t i = 0; i < db.size(); ++i) {
    if (i % 3 == 0) {
      ASSERT_TRUE(index->Remove(db[i].first).ok());
    } else {
      kept.push_back(db[i]);
    }
  }
  EXPECT_TRUE(index->Remove(db[0].first).IsNotFound());
  EXPECT_FALSE(index->Contains(db[0].first));
  EXPECT_TRUE(index->Contains(db[1].first));
  EXPECT_EQ(index->size(), kept.size());
  EXPECT_EQ(index->Stats().deleted, 100u);

  const auto q = RandomVectors(1, 8, 7);
  SearchParams p;
  p.k = 300;
  std::vector<SearchHit> got;
  ASSERT_TRUE(index->Search(q.data(), p, &got).ok());
  ExpectSameHits(Naive(kept, q.data(), 8, Metric::kL2, 300), got);

  // Replacing an existing label moves it; a re-added deleted label comes back (reusing a slot).
  std::vector<float> at_query(q.begin(), q.end());
  ASSERT_TRUE(index->Add(db[1].first, at_query.data()).ok());
  ASSERT_TRUE(index->Add(db[0].first, RandomVectors(1, 8, 8).data()).ok());
  EXPECT_EQ(index->size(), kept.size() + 1);
  EXPECT_EQ(index->Stats().deleted, 99u);
  p.k = 1;
  ASSERT_TRUE(index->Search(q.data(), p, &got).ok());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].label, db[1].first);
  EXPECT_NEAR(got[0].distance, 0.0f, 1e-6);
}

TEST(FlatIndexTest, BatchEqualsSingle) {
  for (Metric metric : kMetrics) {
    Db db;
    // Crosses a chunk boundary so several workers and a partial last block are exercised.
    auto index = Build(FlatIndex::kChunkSlots + 300, 24, metric, &db);
    for (size_t i = 0; i < db.size(); i += 5) ASSERT_TRUE(index->Remove(db[i].first).ok());
    std::set<uint64_t> allowed;
    for (size_t i = 0; i < db.size(); i += 2) allowed.insert(db[i].first);
    SetFilter filter(allowed, false);
    const size_t nq = 13;
    const auto queries = RandomVectors(nq, 24, 11);
    for (const LabelFilter* f : {static_cast<const LabelFilter*>(nullptr),
                                 static_cast<const LabelFilter*>(&filter)}) {
      for (int threads : {1, 2, 3}) {
        SearchParams p;
        p.k = 10;
        p.filter = f;
        std::vector<std::vector<SearchHit>> batch;
        ASSERT_TRUE(index->SearchBatch(nq, queries.data(), p, &batch, threads).ok());
        ASSERT_EQ(batch.size(), nq);
        for (size_t qi = 0; qi < nq; ++qi) {
          std::vector<SearchHit> single;
          ASSERT_TRUE(index->Search(&queries[qi * 24], p, &single).ok());
          SCOPED_TRACE(std::string(MetricName(metric)) + " q" + std::to_string(qi));
          ExpectSameHits(single, batch[qi]);
        }
      }
    }
  }
}

TEST(FlatIndexTest, BatchOfZeroQueriesAndEmptyIndex) {
  auto index = FlatIndex::Create(4, Metric::kL2).value();
  std::vector<std::vector<SearchHit>> out(3);
  SearchParams p;
  ASSERT_TRUE(index->SearchBatch(0, nullptr, p, &out).ok());
  EXPECT_TRUE(out.empty());
  const float q[4] = {1, 2, 3, 4};
  ASSERT_TRUE(index->SearchBatch(1, q, p, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].empty());
  std::vector<SearchHit> single;
  ASSERT_TRUE(index->Search(q, p, &single).ok());
  EXPECT_TRUE(single.empty());
}

TEST(FlatIndexTest, LargeScanSplitAcrossThreadsMatchesNaive) {
  Db db;
  const size_t dim = 128;
  auto index = Build((size_t{1} << 22) / dim + 100, dim, Metric::kInnerProduct, &db);
  const auto q = RandomVectors(1, dim, 17);
  SearchParams p;
  p.k = 20;
  std::vector<SearchHit> got;
  ASSERT_TRUE(index->Search(q.data(), p, &got).ok());
  ExpectSameHits(Naive(db, q.data(), dim, Metric::kInnerProduct, 20), got);
}

TEST(FlatIndexTest, BadInputIsInvalidArgument) {
  EXPECT_TRUE(FlatIndex::Create(0, Metric::kL2).status().IsInvalidArgument());
  EXPECT_TRUE(CreateFlatIndex(FlatIndex::kMaxDim + 1, Metric::kL2).status().IsInvalidArgument());
  auto index = FlatIndex::Create(3, Metric::kCosine).value();
  const float good[3] = {1, 2, 3};
  const float nan[3] = {1, std::numeric_limits<float>::quiet_NaN(), 3};
  const float inf[3] = {1, std::numeric_limits<float>::infinity(), 3};
  const float zero[3] = {0, 0, 0};
  EXPECT_TRUE(index->Add(1, nan).IsInvalidArgument());
  EXPECT_TRUE(index->Add(1, inf).IsInvalidArgument());
  EXPECT_TRUE(index->Add(1, zero).IsInvalidArgument());
  ASSERT_TRUE(index->Add(1, good).ok());
  // A batch with one bad row inserts nothing and names the row.
  const float batch[6] = {1, 1, 1, 0, 0, 0};
  const uint64_t labels[2] = {2, 3};
  Status st = index->AddBatch(2, labels, batch);
  EXPECT_TRUE(st.IsInvalidArgument());
  EXPECT_NE(st.message().find("vector 1"), std::string::npos) << st.ToString();
  EXPECT_EQ(index->size(), 1u);

  std::vector<SearchHit> out;
  std::vector<std::vector<SearchHit>> outs;
  SearchParams p;
  EXPECT_TRUE(index->Search(nan, p, &out).IsInvalidArgument());
  EXPECT_TRUE(index->Search(zero, p, &out).IsInvalidArgument());
  EXPECT_TRUE(index->SearchBatch(1, zero, p, &outs).IsInvalidArgument());
  for (size_t k : {size_t{0}, size_t{10001}}) {
    p.k = k;
    EXPECT_TRUE(index->Search(good, p, &out).IsInvalidArgument()) << k;
    EXPECT_TRUE(index->SearchBatch(1, good, p, &outs).IsInvalidArgument()) << k;
  }
  p.k = 10;
  p.ef_search = 5;
  EXPECT_TRUE(index->Search(good, p, &out).IsInvalidArgument());
  p.ef_search = -1;
  EXPECT_TRUE(index->Search(good, p, &out).IsInvalidArgument());
  p.ef_search = 10;
  EXPECT_TRUE(index->Search(good, p, &out).ok());
  p.k = 10000;
  p.ef_search = 0;
  EXPECT_TRUE(index->Search(good, p, &out).ok());
}

TEST(FlatIndexTest, StatsDescribeTheIndex) {
  Db db;
  auto index = Build(10, 5, Metric::kCosine, &db);
  const IndexStats s = index->Stats();
  EXPECT_EQ(s.kind, "flat");
  EXPECT_FALSE(s.isa.empty());
  EXPECT_EQ(s.dim, 5u);
  EXPECT_EQ(s.live, 10u);
  EXPECT_EQ(s.vector_bytes, 10u * 5 * sizeof(float));
  EXPECT_GT(s.memory_bytes, 0u);
  EXPECT_EQ(index->metric(), Metric::kCosine);
}

TEST(FlatIndexTest, ConcurrentAddRemoveAndSearch) {
  const size_t dim = 16;
  auto index = FlatIndex::Create(dim, Metric::kL2).value();
  const auto data = RandomVectors(2000, dim, 21);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (size_t i = 0; i < 2000; ++i) {
      ASSERT_TRUE(index->Add(i, &data[i * dim]).ok());
      if (i % 4 == 0 && i > 0) {
        ASSERT_TRUE(index->Remove(i - 1).ok());
      }
    }
    done = true;
  });
  const auto q = RandomVectors(4, dim, 22);
  SearchParams p;
  p.k = 5;
  size_t rounds = 0;
  while (!done || rounds < 3) {
    std::vector<SearchHit> out;
    ASSERT_TRUE(index->Search(q.data(), p, &out).ok());
    std::vector<std::vector<SearchHit>> outs;
    ASSERT_TRUE(index->SearchBatch(4, q.data(), p, &outs, 2).ok());
    ++rounds;
  }
  writer.join();
  EXPECT_EQ(index->size(), 2000u - 499u);
  SearchParams all;
  all.k = 2000;
  std::vector<SearchHit> out;
  ASSERT_TRUE(index->Search(q.data(), all, &out).ok());
  ASSERT_EQ(out.size(), 1501u);
  for (const auto& h : out) EXPECT_TRUE(h.label % 4 != 3 || h.label == 1999) << h.label;
}

}  // namespace
}  // namespace lookalike::flat
