// Radial search (SearchParams::max_distance) against brute force on the flat and HNSW indices,
// with and without filters, and the rescoring knobs (rerank_factor, rerank) on int8 codes.
#include <gtest/gtest.h>

#include <set>

#include "test_data.h"

namespace lookalike {
namespace {
using namespace testing_data;

constexpr size_t kDim = 32;

struct Data {
  std::vector<float> x;
  std::vector<uint64_t> labels;
  std::vector<float> queries;
};

Data MakeData(size_t n, size_t nq) {
  Data d;
  d.x = Clustered(n, kDim, 21);
  d.labels = Iota(n, 500);
  d.queries = Clustered(nq, kDim, 22);
  return d;
}

// Exact distances of query q to every row passing `keep`, ascending.
template <typename Keep>
std::vector<std::pair<double, uint64_t>> Sorted(Metric m, const Data& d, size_t q, Keep keep) {
  std::vector<std::pair<double, uint64_t>> all;
  for (size_t i = 0; i < d.labels.size(); ++i) {
    if (keep(d.labels[i])) {
      all.push_back({Distance(m, &d.queries[q * kDim], &d.x[i * kDim], kDim), d.labels[i]});
    }
  }
  std::sort(all.begin(), all.end());
  return all;
}

// A radius holding exactly `inside` rows: halfway between the inside-th and the next distance,
// so rounding cannot move a row across it.
double RadiusHolding(const std::vector<std::pair<double, uint64_t>>& sorted, size_t inside) {
  return (sorted[inside - 1].first + sorted[inside].first) / 2;
}

struct RadialScore {
  double recall = 0;  // found / within the radius, summed over queries
  size_t queries = 0;
};

// Runs radial searches holding `inside` rows for every query; every returned hit must lie
// within the radius (exact distances after rerank) and be unique.
template <typename Keep>
RadialScore CheckRadial(const VectorIndex& index, Metric m, const Data& d, size_t inside,
                        const LabelFilter* filter, Keep keep) {
  RadialScore score;
  const size_t nq = d.queries.size() / kDim;
  for (size_t q = 0; q < nq; ++q) {
    auto sorted = Sorted(m, d, q, keep);
    const double radius = RadiusHolding(sorted, inside);
    SearchParams sp;
    sp.k = 10000;
    sp.max_distance = static_cast<float>(radius);
    sp.filter = filter;
    std::vector<SearchHit> hits;
    EXPECT_TRUE(index.Search(&d.queries[q * kDim], sp, &hits).ok());
    std::set<uint64_t> truth;
    for (size_t i = 0; i < inside; ++i) truth.insert(sorted[i].second);
    std::set<uint64_t> seen;
    size_t found = 0;
    for (size_t i = 0; i < hits.size(); ++i) {
      EXPECT_LE(hits[i].distance, sp.max_distance);
      if (i > 0) EXPECT_LE(hits[i - 1].distance, hits[i].distance);
      EXPECT_TRUE(seen.insert(hits[i].label).second) << "duplicate label " << hits[i].label;
      EXPECT_TRUE(truth.count(hits[i].label)) << "label " << hits[i].label << " outside radius";
      found += truth.count(hits[i].label);
    }
    score.recall += double(found) / double(inside);
    ++score.queries;
  }
  return score;
}

class SetFilter final : public LabelFilter {
 public:
  explicit SetFilter(bool (*keep)(uint64_t)) : keep_(keep) {}
  bool Contains(uint64_t label) const override { return keep_(label); }

 private:
  bool (*keep_)(uint64_t);
};

bool All(uint64_t) { return true; }
bool Even(uint64_t label) { return label % 2 == 0; }

TEST(RadialSearch, FlatIsAnExactRangeScan) {
  Data d = MakeData(3000, 10);
  for (Metric m : {Metric::kL2, Metric::kCosine, Metric::kInnerProduct}) {
    auto index = CreateFlatIndex(kDim, m).value();
    ASSERT_TRUE(index->AddBatch(3000, d.labels.data(), d.x.data()).ok());
    for (size_t inside : {1, 37, 900}) {
      RadialScore s = CheckRadial(*index, m, d, inside, nullptr, All);
      EXPECT_DOUBLE_EQ(s.recall, double(s.queries)) << MetricName(m) << " inside " << inside;
      SetFilter even(Even);
      s = CheckRadial(*index, m, d, inside, &even, Even);
      EXPECT_DOUBLE_EQ(s.recall, double(s.queries)) << MetricName(m) << " filtered " << inside;
    }
  }
}

TEST(RadialSearch, HnswExpandsUntilTheRadiusIsExhausted) {
  Data d = MakeData(10000, 20);
  for (Metric m : {Metric::kL2, Metric::kCosine}) {
    HnswParams p;  // int8 codes, rerank 3
    p.ef_construction = 100;
    auto index = CreateHnswIndex(kDim, m, p).value();
    ASSERT_TRUE(index->AddBatch(10000, d.labels.data(), d.x.data(), 2).ok());
    // 5 fits the first round; 100 and 700 need the search to grow (rounds of 32, 128, 512...).
    for (size_t inside : {5, 100, 700}) {
      RadialScore s = CheckRadial(*index, m, d, inside, nullptr, All);
      EXPECT_GE(s.recall / s.queries, 0.95) << MetricName(m) << " inside " << inside;
      // Half the labels pass: the filter-aware traversal, not the exact scan of few labels.
      SetFilter even(Even);
      s = CheckRadial(*index, m, d, inside, &even, Even);
      EXPECT_GE(s.recall / s.queries, 0.95) << MetricName(m) << " filtered " << inside;
    }
  }
}

TEST(RadialSearch, KCapsTheHitsAtTheClosest) {
  Data d = MakeData(4000, 5);
  HnswParams p;
  auto hnsw = CreateHnswIndex(kDim, Metric::kL2, p).value();
  auto flat = CreateFlatIndex(kDim, Metric::kL2).value();
  ASSERT_TRUE(hnsw->AddBatch(4000, d.labels.data(), d.x.data(), 2).ok());
  ASSERT_TRUE(flat->AddBatch(4000, d.labels.data(), d.x.data()).ok());
  for (const VectorIndex* index : {hnsw.get(), flat.get()}) {
    for (size_t q = 0; q < 5; ++q) {
      auto sorted = Sorted(Metric::kL2, d, q, All);
      SearchParams sp;
      sp.k = 50;
      sp.max_distance = static_cast<float>(RadiusHolding(sorted, 400));  // 400 inside, 50 wanted
      std::vector<SearchHit> hits;
      ASSERT_TRUE(index->Search(&d.queries[q * kDim], sp, &hits).ok());
      ASSERT_EQ(hits.size(), 50u);
      std::set<uint64_t> top50;
      for (size_t i = 0; i < 50; ++i) top50.insert(sorted[i].second);
      size_t found = 0;
      for (const SearchHit& h : hits) found += top50.count(h.label);
      EXPECT_GE(found, 47u);
    }
  }
  // A radius nothing reaches, and a NaN one.
  SearchParams sp;
  sp.max_distance = -1;
  std::vector<SearchHit> hits;
  ASSERT_TRUE(hnsw->Search(&d.queries[0], sp, &hits).ok());
  EXPECT_TRUE(hits.empty());
  sp.max_distance = std::nanf("");
  EXPECT_TRUE(hnsw->Search(&d.queries[0], sp, &hits).IsInvalidArgument());
  EXPECT_TRUE(flat->Search(&d.queries[0], sp, &hits).IsInvalidArgument());
}

// Coarse int8 codes (a few far outliers stretch every dimension's range) order near neighbours
// badly: re-scoring 3k code candidates finds more true neighbours than re-scoring k.
TEST(Rescore, OversampleDecidesHowManyCodeCandidatesAreRescored) {
  const size_t n = 6000;
  Data d = MakeData(n, 50);
  for (size_t i = 0; i < 20; ++i) {
    for (size_t j = 0; j < kDim; ++j) d.x[i * kDim + j] = (i + j) % 2 ? 40.0f : -40.0f;
  }
  HnswParams p;
  p.code = CodeType::kInt8;
  auto index = CreateHnswIndex(kDim, Metric::kL2, p).value();
  ASSERT_TRUE(index->AddBatch(n, d.labels.data(), d.x.data(), 2).ok());
  auto truth = BruteForce(Metric::kL2, d.x, d.labels, d.queries, kDim, 10, All);
  auto recall = [&](float oversample, bool rerank, bool check_exact) {
    std::vector<std::vector<SearchHit>> got(50);
    SearchParams sp;
    sp.k = 10;
    sp.ef_search = 100;
    sp.rerank_factor = oversample;
    sp.rerank = rerank;
    for (size_t q = 0; q < 50; ++q) {
      EXPECT_TRUE(index->Search(&d.queries[q * kDim], sp, &got[q]).ok());
      if (!check_exact) continue;
      // Rescored distances are the float32 distances.
      for (const SearchHit& h : got[q]) {
        const float* x = &d.x[(h.label - 500) * kDim];
        EXPECT_NEAR(h.distance, Distance(Metric::kL2, &d.queries[q * kDim], x, kDim),
                    1e-4 * (1 + h.distance));
      }
    }
    return Recall(truth, got);
  };
  const double r1 = recall(1, true, true), r3 = recall(3, true, true);
  const double none = recall(1, false, false);
  EXPECT_GE(r3, r1 + 0.05) << "oversample 1: " << r1 << ", 3: " << r3;
  EXPECT_GE(r3, 0.9);
  EXPECT_LE(none, r1 + 1e-9);  // codes alone rank no better than codes plus an exact reorder
}

TEST(Rescore, WithoutRerankDistancesComeFromTheCodes) {
  Data d = MakeData(2000, 5);
  HnswParams p;
  auto index = CreateHnswIndex(kDim, Metric::kL2, p).value();
  ASSERT_TRUE(index->AddBatch(2000, d.labels.data(), d.x.data(), 2).ok());
  SearchParams sp;
  sp.k = 10;
  sp.rerank = false;
  size_t differ = 0;
  for (size_t q = 0; q < 5; ++q) {
    std::vector<SearchHit> hits;
    ASSERT_TRUE(index->Search(&d.queries[q * kDim], sp, &hits).ok());
    ASSERT_EQ(hits.size(), 10u);
    for (const SearchHit& h : hits) {
      const float* x = &d.x[(h.label - 500) * kDim];
      differ +=
          h.distance != static_cast<float>(Distance(Metric::kL2, &d.queries[q * kDim], x, kDim));
    }
  }
  EXPECT_GT(differ, 0u);
}

}  // namespace
}  // namespace lookalike
