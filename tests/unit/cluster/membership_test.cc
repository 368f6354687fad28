// Node membership against a real etcd: the key lives exactly as long as the node renews it.
#include "cluster/membership.h"

#include <gtest/gtest.h>

#include "common/file_env.h"
#include "service_process.h"

namespace lookalike::cluster {
namespace {

using namespace std::chrono_literals;

class MembershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::FindProgram("etcd").empty()) {
      GTEST_SKIP() << "etcd is not installed (apt-get install etcd-server, or "
                      "scripts/install-deps.sh); the membership tests need a real etcd";
    }
    ASSERT_TRUE(server_.Start(dir_.path())) << "etcd did not start";
    auto client = EtcdClient::Create(server_.url);
    ASSERT_TRUE(client.ok());
    etcd_ = std::move(client).value();
  }

  bool Registered(const std::string& name) {
    auto kv = etcd_->Get(NodeMembership::Key(name));
    return kv.ok() && kv->has_value();
  }

  testing::TempDir dir_;
  testing::EtcdServer server_;
  std::unique_ptr<EtcdClient> etcd_;
};

TEST_F(MembershipTest, JoinRegistersUnderARenewedLeaseAndLeaveRemovesIt) {
  auto node = NodeMembership::Join(etcd_.get(), {"n1", "127.0.0.1:9201"}, 1s);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  auto kv = etcd_->Get("/lookalike/nodes/n1");
  ASSERT_TRUE(kv.ok() && kv->has_value());
  EXPECT_EQ((*kv)->value, R"({"name":"n1","http":"127.0.0.1:9201"})");
  EXPECT_EQ((*kv)->lease, (*node)->lease_id());
  // Three TTLs later the key is still there: the node renews it.
  std::this_thread::sleep_for(3s);
  EXPECT_TRUE(Registered("n1"));

  auto twin = NodeMembership::Join(etcd_.get(), {"n1", "127.0.0.1:9999"}, 1s);
  EXPECT_EQ(twin.status().code(), StatusCode::kAlreadyExists) << twin.status().ToString();
  EXPECT_EQ(NodeMembership::Join(etcd_.get(), {"bad/name", ""}, 1s).status().code(),
            StatusCode::kInvalidArgument);

  (*node)->Leave();
  EXPECT_FALSE(Registered("n1"));  // at once, not after the TTL
  auto again = NodeMembership::Join(etcd_.get(), {"n1", "127.0.0.1:9201"}, 1s);
  EXPECT_TRUE(again.ok()) << again.status().ToString();
}

TEST_F(MembershipTest, ANodeThatLostItsLeaseRegistersAgain) {
  auto node = NodeMembership::Join(etcd_.get(), {"n2", "127.0.0.1:9202"}, 1s);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  int64_t first = (*node)->lease_id();
  // As if etcd had expired the lease while the node could not reach it.
  ASSERT_TRUE(etcd_->RevokeLease(first).ok());
  EXPECT_FALSE(Registered("n2"));
  bool back = false;
  for (int i = 0; i < 50 && !back; ++i) {
    std::this_thread::sleep_for(100ms);
    back = Registered("n2");
  }
  EXPECT_TRUE(back);
  EXPECT_NE((*node)->lease_id(), first);
}

TEST_F(MembershipTest, ACrashedNodeDisappearsAfterItsTtl) {
  auto lease = etcd_->GrantLease(1);
  ASSERT_TRUE(lease.ok());
  // What a crashed node leaves behind: its key under a lease nobody renews.
  ASSERT_TRUE(etcd_->Put(NodeMembership::Key("n3"), "{}", lease->id).ok());
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::this_thread::sleep_for(100ms);
    gone = !Registered("n3");
  }
  EXPECT_TRUE(gone);
  auto node = NodeMembership::Join(etcd_.get(), {"n3", "127.0.0.1:9203"}, 1s);
  EXPECT_TRUE(node.ok()) << node.status().ToString();
}

TEST_F(MembershipTest, ARestartOnItsOwnDataTakesOverItsRegistration) {
  const std::string lease_file = (dir_.path() / "n5" / "cluster" / "lease").string();
  auto first = NodeMembership::Join(etcd_.get(), {"n5", "127.0.0.1:9205"}, 1s, lease_file);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto recorded = FileEnv::Default().ReadFile(lease_file, 64);
  ASSERT_TRUE(recorded.ok()) << recorded.status().ToString();
  EXPECT_EQ(*recorded, std::to_string((*first)->lease_id()));
  (*first)->Leave();

  // What a crash leaves: the key under a lease nobody renews (60 s), recorded in the folder.
  auto crashed = etcd_->GrantLease(60);
  ASSERT_TRUE(crashed.ok());
  ASSERT_TRUE(etcd_->Put(NodeMembership::Key("n5"), "{}", crashed->id).ok());
  ASSERT_TRUE(
      WriteFileAtomically(FileEnv::Default(), lease_file, std::to_string(crashed->id)).ok());

  // Another folder (no record, or a record of another lease) is still refused.
  EXPECT_EQ(NodeMembership::Join(etcd_.get(), {"n5", "127.0.0.1:9299"}, 1s).status().code(),
            StatusCode::kAlreadyExists);
  const std::string other_file = (dir_.path() / "other-lease").string();
  ASSERT_TRUE(WriteFileAtomically(FileEnv::Default(), other_file, "12345").ok());
  EXPECT_EQ(
      NodeMembership::Join(etcd_.get(), {"n5", "127.0.0.1:9299"}, 1s, other_file).status().code(),
      StatusCode::kAlreadyExists);
  EXPECT_EQ(etcd_->KeepAliveOnce(crashed->id).status().code(), StatusCode::kOk);

  // The same folder takes the key over at once (not after 60 s) and ends the old lease.
  auto restarted = NodeMembership::Join(etcd_.get(), {"n5", "127.0.0.1:9205"}, 1s, lease_file);
  ASSERT_TRUE(restarted.ok()) << restarted.status().ToString();
  auto kv = etcd_->Get(NodeMembership::Key("n5"));
  ASSERT_TRUE(kv.ok() && kv->has_value());
  EXPECT_EQ((*kv)->lease, (*restarted)->lease_id());
  EXPECT_EQ((*kv)->value, R"({"name":"n5","http":"127.0.0.1:9205"})");
  EXPECT_EQ(etcd_->KeepAliveOnce(crashed->id).status().code(), StatusCode::kNotFound);
  recorded = FileEnv::Default().ReadFile(lease_file, 64);
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(*recorded, std::to_string((*restarted)->lease_id()));
}

}  // namespace
}  // namespace lookalike::cluster
