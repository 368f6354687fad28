// Data of low intrinsic dimension: points on a line. The selection heuristic keeps only the two
// nearest neighbours of such a point, so racing inserts (AddBatch on two threads), above all
// ones that replace labels, could build two interleaved chains a beam search cannot cross; the
// engine's crash-recovery replay does exactly that. Every point must find itself.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lookalike/vector_index.h"

namespace lookalike {
namespace {

constexpr size_t kPoints = 440;

struct Line {
  std::vector<float> vecs;
  std::vector<uint64_t> labels;
  Line() {
    for (size_t i = 0; i < kPoints; ++i) {
      vecs.insert(vecs.end(), {float(i), 1.0f, 2.0f});
      labels.push_back(i);
    }
  }
  const float* at(size_t i) const { return &vecs[i * 3]; }
};

std::unique_ptr<VectorIndex> MakeLineIndex(uint64_t seed) {
  HnswParams p;
  p.code = CodeType::kFloat32;
  p.ef_construction = 100;
  p.ef_search = 100;
  p.seed = seed;
  return CreateHnswIndex(3, Metric::kL2, p).value();
}

// Labels that do not come back as their own nearest neighbour.
std::vector<uint64_t> Lost(const VectorIndex& index, const Line& line) {
  std::vector<uint64_t> lost;
  std::vector<SearchHit> hits;
  SearchParams sp;
  sp.k = 1;
  for (size_t i = 0; i < kPoints; ++i) {
    EXPECT_TRUE(index.Search(line.at(i), sp, &hits).ok());
    if (hits.empty() || hits[0].label != i) lost.push_back(i);
  }
  return lost;
}

std::string Describe(const std::vector<uint64_t>& lost) {
  std::string s;
  for (size_t i = 0; i < lost.size() && i < 10; ++i) s += std::to_string(lost[i]) + " ";
  return s + "(" + std::to_string(lost.size()) + " in all)";
}

TEST(HnswLine, ParallelBuildFindsEveryPoint) {
  Line line;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    auto index = MakeLineIndex(seed);
    ASSERT_TRUE(index->AddBatch(kPoints, line.labels.data(), line.vecs.data(), 2).ok());
    auto lost = Lost(*index, line);
    EXPECT_TRUE(lost.empty()) << "seed " << seed << ": " << Describe(lost);
  }
}

// A prefix indexed in bulks, then every label re-added in one parallel batch (as a replay of a
// log from before the prefix's snapshot does), with compaction of the replaced nodes.
TEST(HnswLine, ParallelReplaceFindsEveryPoint) {
  Line line;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    auto index = MakeLineIndex(seed);
    size_t prefix = 100 + 20 * (seed % 8);
    for (size_t b = 0; b < prefix; b += 20) {
      ASSERT_TRUE(index->AddBatch(20, &line.labels[b], line.at(b), 2).ok());
    }
    size_t from = seed % 4 == 3 ? prefix / 2 : 0;
    ASSERT_TRUE(index->AddBatch(kPoints - from, &line.labels[from], line.at(from), 2).ok());
    EXPECT_EQ(index->size(), kPoints);
    auto lost = Lost(*index, line);
    EXPECT_TRUE(lost.empty()) << "seed " << seed << " prefix " << prefix << " from " << from
                              << ": " << Describe(lost);
  }
}

}  // namespace
}  // namespace lookalike
