// ShardLog against a real 3-server JetStream cluster started here (free ports, temporary
// folder, every server killed at the end).
#include "cluster/shard_log.h"

#include <gtest/gtest.h>

#include "service_process.h"

namespace lookalike::cluster {
namespace {

using namespace std::chrono_literals;
using testing::NatsCluster;
using testing::TempDir;

std::vector<WriteOp> BatchFor(int i) {
  WriteOp op;
  op.kind = WriteKind::kIndex;
  op.index = "photos";
  op.id = "doc-" + std::to_string(i);
  op.source = "{\"n\":" + std::to_string(i) + "}";
  op.vectors = {{"fvec", {static_cast<float>(i), 0.5f}}};
  return {op};
}

// Reads batches from `consumer` until `count` arrived (or nothing comes for a while).
std::vector<LoggedBatch> ReadAll(ShardConsumer& consumer, size_t count) {
  std::vector<LoggedBatch> out;
  for (int idle = 0; out.size() < count && idle < 20;) {
    auto batches = consumer.Fetch(16, 500ms);
    if (!batches.ok() && batches.status().code() == StatusCode::kUnavailable) {
      ++idle;  // a leader election after a server loss: the caller tries again
      continue;
    }
    EXPECT_TRUE(batches.ok()) << batches.status().ToString();
    if (!batches.ok()) break;
    if (batches->empty()) ++idle;
    for (LoggedBatch& b : *batches) out.push_back(std::move(b));
  }
  return out;
}

class ShardLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::FindProgram("nats-server").empty()) {
      GTEST_SKIP() << "nats-server is not installed (apt-get install nats-server, or "
                      "scripts/install-deps.sh); the shard log tests need a real JetStream";
    }
    ASSERT_TRUE(nats_.Start(dir_.path())) << "NATS cluster did not start; logs in " << dir_.path();
    ShardLogOptions options;
    options.publish_timeout = 30s;
    auto log = ShardLog::Connect(nats_.Urls(), options);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(log).value();
  }

  TempDir dir_;
  NatsCluster nats_;
  std::unique_ptr<ShardLog> log_;
};

TEST_F(ShardLogTest, PublishThenConsumeInOrderFromAnySequence) {
  EXPECT_EQ(log_->replicas(), 3);
  EXPECT_EQ(ShardLog::StreamName("u1", 2), "LK_u1_2");
  ASSERT_TRUE(log_->EnsureStream("u1", 0).ok());
  ASSERT_TRUE(log_->EnsureStream("u1", 0).ok());  // idempotent
  ASSERT_TRUE(log_->EnsureStream("u1", 1).ok());
  constexpr int kBatches = 40;
  for (int i = 1; i <= kBatches; ++i) {
    auto sequence = log_->Publish("u1", 0, BatchFor(i));
    ASSERT_TRUE(sequence.ok()) << sequence.status().ToString();
    EXPECT_EQ(*sequence, static_cast<uint64_t>(i));
  }
  // A retried publish with the same id is stored once and acked with the first sequence.
  auto first = log_->Publish("u1", 1, BatchFor(0), "same-id");
  auto again = log_->Publish("u1", 1, BatchFor(0), "same-id");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(*first, *again);

  auto consumer = log_->Consume("u1", 0, "node-a", 1);
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  std::vector<LoggedBatch> batches = ReadAll(**consumer, kBatches);
  ASSERT_EQ(batches.size(), static_cast<size_t>(kBatches));
  for (int i = 1; i <= kBatches; ++i) {
    const LoggedBatch& b = batches[i - 1];
    EXPECT_EQ(b.sequence, static_cast<uint64_t>(i));
    ASSERT_EQ(b.ops.size(), 1u);
    EXPECT_EQ(b.ops[0].id, "doc-" + std::to_string(i));
    EXPECT_EQ(b.ops[0].vectors[0].values[0], static_cast<float>(i));
  }
  ASSERT_TRUE((*consumer)->Ack(kBatches).ok());
  EXPECT_FALSE((*consumer)->Ack(kBatches).ok());  // already acked
  EXPECT_TRUE((*consumer)->Fetch(16, 200ms)->empty());

  // A copy that restarts from its snapshot's sequence sees exactly the rest.
  consumer->reset();
  auto resumed = log_->Consume("u1", 0, "node-a", 31);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  std::vector<LoggedBatch> rest = ReadAll(**resumed, 10);
  ASSERT_EQ(rest.size(), 10u);
  EXPECT_EQ(rest.front().sequence, 31u);
  EXPECT_EQ(rest.back().sequence, 40u);
  resumed->reset();

  ASSERT_TRUE(log_->DeleteStream("u1", 0).ok());
  EXPECT_EQ(log_->DeleteStream("u1", 0).code(), StatusCode::kNotFound);
  EXPECT_EQ(log_->EnsureStream("bad.uuid", 0).code(), StatusCode::kInvalidArgument);
}

TEST_F(ShardLogTest, LosingOneNatsServerLosesNoAcknowledgedWrite) {
  ASSERT_TRUE(log_->EnsureStream("u2", 0).ok());
  std::vector<uint64_t> acked;
  for (int i = 1; i <= 20; ++i) {
    auto sequence = log_->Publish("u2", 0, BatchFor(i));
    ASSERT_TRUE(sequence.ok()) << sequence.status().ToString();
    acked.push_back(*sequence);
  }
  // The first server is the one the client most likely talks to, and may lead the stream.
  nats_.servers[0].process.Kill();
  for (int i = 21; i <= 40; ++i) {
    auto sequence = log_->Publish("u2", 0, BatchFor(i));
    ASSERT_TRUE(sequence.ok()) << "publish " << i
                               << " with one server down: " << sequence.status().ToString();
    acked.push_back(*sequence);
  }
  auto consumer = log_->Consume("u2", 0, "node-b", 1);
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  std::vector<LoggedBatch> batches = ReadAll(**consumer, acked.size());
  ASSERT_EQ(batches.size(), acked.size());
  for (size_t i = 0; i < acked.size(); ++i) {
    EXPECT_EQ(batches[i].sequence, acked[i]);
    EXPECT_EQ(batches[i].ops[0].id, "doc-" + std::to_string(i + 1));
  }
  consumer->reset();
  // The server comes back on its data and the stream goes on.
  ASSERT_TRUE(nats_.Restart(0));
  auto after = log_->Publish("u2", 0, BatchFor(41));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(*after, acked.back() + 1);
}

TEST(ShardLogDownTest, NoNatsServerIsUnavailable) {
  std::string dead = "nats://127.0.0.1:" + std::to_string(testing::FreePort());
  auto log = ShardLog::Connect(dead);
  EXPECT_EQ(log.status().code(), StatusCode::kUnavailable) << log.status().ToString();
  EXPECT_EQ(ShardLog::Connect("").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lookalike::cluster
