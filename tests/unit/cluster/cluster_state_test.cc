// The watched cluster state and the shard-assigning leader against a real etcd.
#include "cluster/cluster_state.h"

#include <gtest/gtest.h>

#include "cluster/shard_leader.h"
#include "service_process.h"

namespace lookalike::cluster {
namespace {

using namespace std::chrono_literals;

class ClusterStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::FindProgram("etcd").empty()) {
      GTEST_SKIP() << "etcd is not installed (scripts/install-deps.sh)";
    }
    ASSERT_TRUE(server_.Start(dir_.path())) << "etcd did not start";
    auto client = EtcdClient::Create(server_.url);
    ASSERT_TRUE(client.ok());
    etcd_ = std::move(client).value();
  }

  // A node: membership, its own view of the state, and its campaign.
  struct Node {
    std::unique_ptr<NodeMembership> membership;
    std::unique_ptr<ClusterState> state;
    std::unique_ptr<ShardLeader> leader;
  };
  Node StartNode(const std::string& name) {
    Node node;
    auto joined = NodeMembership::Join(etcd_.get(), {name, "127.0.0.1:1"}, 2s);
    EXPECT_TRUE(joined.ok()) << joined.status().ToString();
    node.membership = std::move(joined).value();
    auto state = ClusterState::Start(etcd_.get());
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    node.state = std::move(state).value();
    NodeMembership* m = node.membership.get();
    node.leader = std::make_unique<ShardLeader>(etcd_.get(), node.state.get(), name,
                                                [m] { return m->lease_id(); });
    return node;
  }

  testing::TempDir dir_;
  testing::EtcdServer server_;
  std::unique_ptr<EtcdClient> etcd_;
};

bool FullyAssigned(const ClusterSnapshot& snap, const IndexMetadata& meta, size_t copies) {
  for (int s = 0; s < meta.number_of_shards; ++s) {
    const ShardState* shard = snap.FindShard(meta.uuid, s);
    if (shard == nullptr || shard->assignment.Copies().size() != copies) return false;
  }
  return true;
}

TEST_F(ClusterStateTest, TheLeaderAssignsShardsAndReassignsThoseOfALostNode) {
  Node n1 = StartNode("n1");
  Node n2 = StartNode("n2");
  Node n3 = StartNode("n3");
  std::string uuid = n1.state->snapshot()->cluster_uuid;
  EXPECT_EQ(uuid.size(), 32u);
  EXPECT_EQ(n3.state->snapshot()->cluster_uuid, uuid);  // created once

  IndexMetadata meta;
  meta.name = "photos";
  meta.uuid = NewUuid();
  meta.number_of_shards = 3;
  meta.number_of_replicas = 1;
  ASSERT_TRUE(etcd_->Put(IndexKey("photos"), EncodeIndexMetadata(meta)).ok());
  ASSERT_TRUE(n2.state->WaitUntil(
      [&](const ClusterSnapshot& snap) { return FullyAssigned(snap, meta, 2); }, 10s));
  auto snap = n2.state->snapshot();
  EXPECT_FALSE(snap->leader.empty());
  EXPECT_EQ(snap->nodes.size(), 3u);
  std::map<std::string, int> load;
  for (int s = 0; s < 3; ++s) {
    for (const std::string& node : snap->FindShard(meta.uuid, s)->assignment.Copies()) {
      ++load[node];
    }
  }
  EXPECT_EQ(load, (std::map<std::string, int>{{"n1", 2}, {"n2", 2}, {"n3", 2}}));

  // No copy has applied anything yet: the routes list none; Resolve finds the index.
  auto routes = n1.state->Resolve("pho*");
  ASSERT_TRUE(routes.ok());
  ASSERT_EQ(routes->size(), 1u);
  EXPECT_EQ((*routes)[0].uuid, meta.uuid);
  EXPECT_TRUE((*routes)[0].shards[0].copies.empty());
  EXPECT_EQ(n1.state->Resolve("missing").status().kind(), ErrorKind::kIndexNotFound);
  EXPECT_TRUE(n1.state->Resolve("missing*").ok());

  // A copy that reports its applied sequence is started.
  const ShardAssignment first = snap->FindShard(meta.uuid, 0)->assignment;
  ASSERT_TRUE(
      etcd_->Put(AppliedKey(meta.uuid, 0, first.primary), "4", n1.membership->lease_id()).ok());
  ASSERT_TRUE(n1.state->WaitUntil(
      [&](const ClusterSnapshot& s) { return s.Routes(meta).shards[0].copies.size() == 1; }, 5s));

  // n2 leaves (its key goes at once): its copies move, its primaries are promoted.
  auto before = n1.state->snapshot();
  n2.leader->Stop();
  n2.state->Stop();
  n2.membership->Leave();
  ASSERT_TRUE(n1.state->WaitUntil(
      [&](const ClusterSnapshot& s) {
        if (!FullyAssigned(s, meta, 2)) return false;
        for (int i = 0; i < 3; ++i) {
          if (s.FindShard(meta.uuid, i)->assignment.Holds("n2")) return false;
        }
        return true;
      },
      15s));
  auto after = n1.state->snapshot();
  for (int s = 0; s < 3; ++s) {
    const ShardAssignment& old = before->FindShard(meta.uuid, s)->assignment;
    const ShardAssignment& now = after->FindShard(meta.uuid, s)->assignment;
    if (old.primary == "n2") {
      EXPECT_EQ(now.primary, old.replicas[0]);
      EXPECT_EQ(now.primary_term, old.primary_term + 1);
    } else {
      EXPECT_EQ(now.primary, old.primary);
      EXPECT_EQ(now.primary_term, old.primary_term);
    }
  }
}

TEST_F(ClusterStateTest, ANewLeaderTakesOverWhenTheLeaderLeaves) {
  Node n1 = StartNode("n1");
  ASSERT_TRUE(n1.state->WaitUntil([](const ClusterSnapshot& s) { return s.leader == "n1"; }, 5s));
  Node n2 = StartNode("n2");
  n1.leader->Stop();
  n1.state->Stop();
  n1.membership->Leave();  // revokes the lease: the leader key goes with it
  EXPECT_TRUE(n2.state->WaitUntil([](const ClusterSnapshot& s) { return s.leader == "n2"; }, 5s));
}

// etcd gone: the last state stays readable (searches route by it) and says it is the last
// known one, so writes can be refused at once instead of waiting on etcd.
TEST_F(ClusterStateTest, LosingEtcdKeepsTheLastStateAndSaysSo) {
  auto started = ClusterState::Start(etcd_.get());
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  std::unique_ptr<ClusterState> state = std::move(started).value();
  IndexMetadata meta;
  meta.name = "docs";
  meta.uuid = NewUuid();
  ASSERT_TRUE(etcd_->Put(IndexKey(meta.name), EncodeIndexMetadata(meta)).ok());
  ASSERT_TRUE(state->WaitUntil(
      [](const ClusterSnapshot& s) { return s.indices.count("docs") > 0; }, 10s));
  EXPECT_TRUE(state->snapshot()->etcd_reachable);
  server_.process.Kill();
  EXPECT_TRUE(state->WaitUntil([](const ClusterSnapshot& s) { return !s.etcd_reachable; }, 10s));
  EXPECT_EQ(state->snapshot()->indices.count("docs"), 1u);
  auto routes = state->Resolve("docs");
  ASSERT_TRUE(routes.ok()) << routes.status().ToString();
  EXPECT_EQ(routes->size(), 1u);
  state->Stop();
}

}  // namespace
}  // namespace lookalike::cluster
