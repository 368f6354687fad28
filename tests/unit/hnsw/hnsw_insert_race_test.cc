// Deterministic tests of insert races: the state a racing insert leaves a node in is set up by
// hand (HnswIndexTestPeer), then a single-threaded Add runs into it. No timing involved.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "index/hnsw/hnsw_index.h"

namespace lookalike::hnsw {

class HnswIndexTestPeer {
 public:
  static uint32_t NodeOf(const HnswIndex& index, uint64_t label) {
    return index.label_to_node_.at(label);
  }
  static int LevelOf(const HnswIndex& index, uint64_t label) {
    return index.levels_[NodeOf(index, label)];
  }
  // What InsertNode leaves behind after linking a node on its upper levels and before its
  // level-0 list is written: state kInserting, an empty level-0 list, in-links kept. With
  // `removed`, the label was also removed (or replaced) meanwhile, as Remove does it.
  static void MarkLinkedAboveLevelZeroOnly(HnswIndex& index, uint64_t label, bool removed) {
    uint32_t node = NodeOf(index, label);
    index.SetState(node, HnswIndex::kInserting);
    index.Links0(node)[0] = 0;
    if (removed) {
      std::unique_lock lock(index.label_mu_);
      index.MarkDeleted(node);
    }
  }
  // Makes the next insert draw `level` (advances the deterministic draw counter to a draw that
  // gives it). False if none of the next 100,000 draws does.
  static bool NextInsertDrawsLevel(HnswIndex& index, int level) {
    for (int tries = 0; tries < 100000; ++tries) {
      uint64_t draw = index.level_draws_.load();
      if (index.RandomLevel(0) == level) {
        index.level_draws_.store(draw);
        return true;
      }
    }
    return false;
  }
  static std::vector<uint64_t> Level0NeighbourLabels(const HnswIndex& index, uint64_t label) {
    const uint32_t* links = index.Links0(NodeOf(index, label));
    std::vector<uint64_t> out;
    for (uint32_t j = 1; j <= links[0]; ++j) out.push_back(index.labels_[links[j]]);
    return out;
  }
};

namespace {
using Peer = HnswIndexTestPeer;

constexpr size_t kLine = 200;
constexpr uint64_t kNewLabel = 1000;

// Points x = 0 .. kLine-1 on a line (added one by one, so the graph is deterministic).
std::unique_ptr<HnswIndex> LineIndex() {
  HnswParams p;
  p.code = CodeType::kFloat32;
  p.ef_construction = 100;
  p.seed = 7;
  auto index = HnswIndex::Create(3, Metric::kL2, p).value();
  for (size_t i = 0; i < kLine; ++i) {
    float v[3] = {float(i), 1.0f, 2.0f};
    EXPECT_TRUE(index->Add(i, v).ok());
  }
  return index;
}

// A label in the middle of the line whose node is on level 1 or above.
uint64_t MiddleUpperLevelLabel(const HnswIndex& index) {
  for (uint64_t label = kLine / 4; label < 3 * kLine / 4; ++label) {
    if (Peer::LevelOf(index, label) >= 1) return label;
  }
  ADD_FAILURE() << "no node above level 0 in the middle of the line";
  return kLine / 2;
}

// Node Y is linked on level 1 but its own insert has not reached level 0 yet. A point inserted
// right next to Y finds Y as the closest node on level 1. Its level-0 search must not start at Y
// (whose level-0 list is empty): it saw only Y and linked to nothing else, an island that later
// inserts nearby descended into again (HnswLine.ParallelReplaceFindsEveryPoint, ~1 in 20 runs).
void ExpectLinksToTheLine(int new_level, bool removed = false) {
  auto index = LineIndex();
  uint64_t y = MiddleUpperLevelLabel(*index);
  Peer::MarkLinkedAboveLevelZeroOnly(*index, y, removed);
  ASSERT_TRUE(Peer::NextInsertDrawsLevel(*index, new_level));
  float v[3] = {float(y) + 0.25f, 1.0f, 2.0f};
  ASSERT_TRUE(index->Add(kNewLabel, v).ok());
  ASSERT_EQ(Peer::LevelOf(*index, kNewLabel), new_level);

  auto links = Peer::Level0NeighbourLabels(*index, kNewLabel);
  std::string got;
  for (uint64_t l : links) got += std::to_string(l) + " ";
  if (removed) {
    // A tombstone is never admitted as a neighbour.
    EXPECT_EQ(std::find(links.begin(), links.end(), y), links.end()) << "y " << y << ": " << got;
  }
  // The neighbour on the other side (y + 1) and the floor of the selection (m / 2 = 8 links).
  EXPECT_NE(std::find(links.begin(), links.end(), y + 1), links.end()) << "y " << y << ": " << got;
  EXPECT_GE(links.size(), 8u) << "y " << y << ": " << got;
}

TEST(HnswInsertRace, LevelZeroInsertDoesNotDescendIntoANodeStillBeingInserted) {
  ExpectLinksToTheLine(0);
}

TEST(HnswInsertRace, UpperLevelInsertDoesNotStartLevelZeroAtANodeStillBeingInserted) {
  ExpectLinksToTheLine(1);
}

// The same with Y's label removed (or replaced) while Y's insert was still running: Y is a
// tombstone whose level-0 list is not written yet, and must not be a level-0 entry either.
TEST(HnswInsertRace, InsertDoesNotStartAtATombstoneStillBeingInserted) {
  ExpectLinksToTheLine(0, /*removed=*/true);
  ExpectLinksToTheLine(1, /*removed=*/true);
}

}  // namespace
}  // namespace lookalike::hnsw
