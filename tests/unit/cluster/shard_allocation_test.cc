// Shard allocation (pure) and the etcd metadata codec: no services needed.
#include "cluster/shard_allocation.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "cluster/cluster_metadata.h"
#include "cluster/cluster_state.h"

namespace lookalike::cluster {
namespace {

std::vector<ShardSlot> NewIndex(const std::string& uuid, int shards, int replicas) {
  std::vector<ShardSlot> slots;
  for (int s = 0; s < shards; ++s) slots.push_back({uuid, s, replicas, std::nullopt});
  return slots;
}

// Applies `changes` to `slots` (as the leader's writes would).
void Apply(std::vector<ShardSlot>* slots, const std::vector<AssignmentChange>& changes) {
  for (const AssignmentChange& change : changes) {
    for (ShardSlot& slot : *slots) {
      if (slot.index_uuid == change.index_uuid && slot.shard == change.shard) {
        slot.current = change.assignment;
      }
    }
  }
}

TEST(ShardAllocationTest, ThreeShardsOneReplicaOnThreeNodesAreBalancedOnDistinctNodes) {
  auto slots = NewIndex("u", 3, 1);
  auto changes = AllocateShards(slots, {"n3", "n1", "n2"});
  ASSERT_EQ(changes.size(), 3u);
  Apply(&slots, changes);
  std::map<std::string, int> load;
  std::map<std::string, int> primaries;
  for (const ShardSlot& slot : slots) {
    ASSERT_TRUE(slot.current);
    EXPECT_EQ(slot.current->primary_term, 1);
    ASSERT_EQ(slot.current->replicas.size(), 1u);
    EXPECT_NE(slot.current->primary, slot.current->replicas[0]);
    for (const std::string& node : slot.current->Copies()) ++load[node];
    ++primaries[slot.current->primary];
  }
  EXPECT_EQ(load, (std::map<std::string, int>{{"n1", 2}, {"n2", 2}, {"n3", 2}}));
  EXPECT_EQ(primaries.size(), 3u);  // one primary per node
  EXPECT_TRUE(AllocateShards(slots, {"n1", "n2", "n3"}).empty());  // stable
}

TEST(ShardAllocationTest, MoreReplicasThanNodesGivesOneCopyPerNode) {
  auto slots = NewIndex("u", 1, 5);
  auto changes = AllocateShards(slots, {"a", "b"});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].assignment.Copies().size(), 2u);
  EXPECT_TRUE(AllocateShards(slots, {}).empty());
}

TEST(ShardAllocationTest, ALostPrimaryIsReplacedByItsReplicaWithANewTerm) {
  auto slots = NewIndex("u", 3, 1);
  Apply(&slots, AllocateShards(slots, {"n1", "n2", "n3"}));
  auto before = slots;
  auto changes = AllocateShards(slots, {"n1", "n3"});  // n2 is gone
  Apply(&slots, changes);
  for (size_t i = 0; i < slots.size(); ++i) {
    const ShardAssignment& old = *before[i].current;
    const ShardAssignment& now = *slots[i].current;
    EXPECT_FALSE(now.Holds("n2"));
    EXPECT_EQ(now.Copies().size(), 2u);
    if (old.primary == "n2") {
      EXPECT_EQ(now.primary, old.replicas[0]);  // promoted
      EXPECT_EQ(now.primary_term, old.primary_term + 1);
    } else {
      EXPECT_EQ(now.primary, old.primary);
      EXPECT_EQ(now.primary_term, old.primary_term);
    }
  }
  // n2 comes back: nothing moves (the shards are fully replicated without it).
  EXPECT_TRUE(AllocateShards(slots, {"n1", "n2", "n3"}).empty());
}

TEST(ShardAllocationTest, AShardWithNoLiveCopyGetsANewPrimaryThatReplaysTheLog) {
  std::vector<ShardSlot> slots = {{"u", 0, 0, ShardAssignment{"gone", {}, 4}}};
  auto changes = AllocateShards(slots, {"n1"});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].assignment.primary, "n1");
  EXPECT_EQ(changes[0].assignment.primary_term, 5);
  // Unassigned (every node was gone) then a node appears: again a new term.
  slots[0].current = ShardAssignment{"", {}, 5};
  changes = AllocateShards(slots, {"n1"});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].assignment.primary_term, 6);
}

TEST(ClusterMetadataTest, IndexMetadataAndAssignmentsRoundTrip) {
  IndexMetadata meta;
  meta.name = "photos";
  meta.uuid = NewUuid();
  meta.number_of_shards = 3;
  meta.number_of_replicas = 1;
  meta.creation_date_ms = 1234;
  meta.settings_json = R"({"index":{"knn":true}})";
  meta.mappings_json = R"({"properties":{"v":{"type":"knn_vector","dimension":2}}})";
  auto back = DecodeIndexMetadata("photos", EncodeIndexMetadata(meta));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->uuid, meta.uuid);
  EXPECT_EQ(back->number_of_shards, 3);
  EXPECT_EQ(back->number_of_replicas, 1);
  EXPECT_EQ(back->creation_date_ms, 1234);
  EXPECT_EQ(back->settings_json, meta.settings_json);
  EXPECT_EQ(back->mappings_json, meta.mappings_json);
  EXPECT_EQ(meta.uuid.size(), 32u);
  EXPECT_EQ(meta.uuid.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_FALSE(DecodeIndexMetadata("x", R"({"uuid":"u"})").ok());

  ShardAssignment a{"n1", {"n2", "n3"}, 7};
  auto decoded = DecodeShardAssignment(EncodeShardAssignment(a));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, a);

  std::string uuid, node;
  int shard = -1;
  ASSERT_TRUE(ParseShardKey(ShardKey("abc", 12), &uuid, &shard));
  EXPECT_EQ(uuid, "abc");
  EXPECT_EQ(shard, 12);
  ASSERT_TRUE(ParseAppliedKey(AppliedKey("abc", 2, "n.1"), &uuid, &shard, &node));
  EXPECT_EQ(shard, 2);
  EXPECT_EQ(node, "n.1");
  EXPECT_FALSE(ParseShardKey("/lookalike/shards/abc/x", &uuid, &shard));
}

TEST(ClusterMetadataTest, RoutesListStartedCopiesOnLiveNodesPrimaryFirst) {
  ClusterSnapshot snap;
  IndexMetadata meta;
  meta.name = "i";
  meta.uuid = "u";
  meta.number_of_shards = 2;
  snap.indices["i"] = meta;
  snap.nodes["n1"] = {"n1", "h1:1"};
  snap.nodes["n2"] = {"n2", "h2:2"};
  ShardState s0;
  s0.assignment = {"n2", {"n1"}, 3};
  s0.applied = {{"n1", 5}, {"n2", 5}};
  ShardState s1;
  s1.assignment = {"n1", {"n3"}, 1};
  s1.applied = {{"n3", 1}};  // n1 not started yet, n3 not live
  snap.shards["u"][0] = s0;
  snap.shards["u"][1] = s1;
  IndexRoutes routes = snap.Routes(meta);
  ASSERT_EQ(routes.shards.size(), 2u);
  ASSERT_EQ(routes.shards[0].copies.size(), 2u);
  EXPECT_EQ(routes.shards[0].copies[0].node, "n2");
  EXPECT_TRUE(routes.shards[0].copies[0].primary);
  EXPECT_EQ(routes.shards[0].copies[0].http, "h2:2");
  EXPECT_EQ(routes.shards[0].primary_term, 3);
  EXPECT_TRUE(routes.shards[1].copies.empty());
  EXPECT_EQ(ShardIndexName(routes, 1), "i~1~u");
  EXPECT_TRUE(IndexPatternMatches("ph*s", "photos"));
  EXPECT_FALSE(IndexPatternMatches("ph*x", "photos"));
}

}  // namespace
}  // namespace lookalike::cluster
