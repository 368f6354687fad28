// Writes as a cluster shard copy applies them (WriteOp::log_seq_no / primary_term): the stream
// sequence becomes the documents' _seq_no, conditions compare against it, the term bounds
// if_primary_term, and a batch handed over again (after a crash) is skipped, also across a
// restart.
#include "engine_test_util.h"
#include "server/es/index_codec.h"

namespace lookalike::testing {
namespace {

WriteOp StreamOp(WriteKind kind, std::string id, int64_t seq, int64_t term = 2) {
  WriteOp op;
  op.kind = kind;
  op.index = "copy";
  op.id = std::move(id);
  op.source = R"({"n":1})";
  op.log_seq_no = seq;
  op.primary_term = term;
  return op;
}

WriteOp Conditional(std::string id, int64_t seq, int64_t if_seq_no, int64_t if_term) {
  WriteOp op = StreamOp(WriteKind::kIndex, std::move(id), seq);
  op.condition = {if_seq_no, if_term};
  return op;
}

std::vector<WriteOutcome> Apply(Engine& engine, std::vector<WriteOp> ops) {
  auto written = engine.Write(std::move(ops), RefreshPolicy::kFalse);
  EXPECT_TRUE(written.ok()) << written.status().ToString();
  return written.ok() ? *written : std::vector<WriteOutcome>{};
}

TEST(StreamWrites, SequencesConditionsAndReplays) {
  TempDir dir;
  {
    auto engine = OpenEngine(dir.path());
    ASSERT_TRUE(es::CreateIndexJson(*engine, "copy", "").ok());
    // One batch (sequence 5) of two creates: both get _seq_no 5 and the batch's term.
    auto first = Apply(*engine, {StreamOp(WriteKind::kCreate, "a", 5),
                                 StreamOp(WriteKind::kCreate, "b", 5)});
    ASSERT_EQ(first.size(), 2u);
    for (const WriteOutcome& out : first) {
      EXPECT_TRUE(out.status.ok()) << out.status.ToString();
      EXPECT_EQ(out.result, WriteResultKind::kCreated);
      EXPECT_EQ(out.seq_no, 5);
      EXPECT_EQ(out.primary_term, 2);
      EXPECT_FALSE(out.replayed);
    }
    // Sequence 7: a second create conflicts; conditions are checked against sequence 5 and a
    // term in [1, 2]; the stored document then carries sequence 7.
    auto second = Apply(*engine, {StreamOp(WriteKind::kCreate, "a", 7),
                                  Conditional("a", 7, 4, 2), Conditional("a", 7, 5, 3),
                                  Conditional("a", 7, 5, 2), Conditional("b", 7, 5, 1)});
    ASSERT_EQ(second.size(), 5u);
    EXPECT_EQ(second[0].status.kind(), ErrorKind::kVersionConflict);
    EXPECT_EQ(second[1].status.kind(), ErrorKind::kVersionConflict);  // wrong seq_no
    EXPECT_EQ(second[2].status.kind(), ErrorKind::kVersionConflict);  // term above the shard's
    ASSERT_TRUE(second[3].status.ok()) << second[3].status.ToString();
    EXPECT_EQ(second[3].result, WriteResultKind::kUpdated);
    EXPECT_EQ(second[3].version, 2);
    EXPECT_EQ(second[3].seq_no, 7);
    EXPECT_TRUE(second[4].status.ok()) << second[4].status.ToString();  // an older term is fine
    auto got = engine->GetDocument("copy", "a");
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->seq_no, 7);
    EXPECT_EQ(got->version, 2);

    // Sequences 5 and 7 handed over again (a crash before the applied record): skipped, the
    // documents stay as they are; sequence 8 in the same call is applied.
    auto again = Apply(*engine, {StreamOp(WriteKind::kCreate, "a", 5),
                                 StreamOp(WriteKind::kDelete, "b", 7),
                                 StreamOp(WriteKind::kIndex, "c", 8)});
    ASSERT_EQ(again.size(), 3u);
    EXPECT_TRUE(again[0].replayed && again[0].status.ok());
    EXPECT_TRUE(again[1].replayed && again[1].status.ok());
    EXPECT_FALSE(again[2].replayed);
    EXPECT_EQ(again[2].result, WriteResultKind::kCreated);
    EXPECT_TRUE(engine->GetDocument("copy", "b")->found);
    EXPECT_EQ(engine->GetDocument("copy", "a")->version, 2);
  }
  // The stored sequence survives a restart: a replay after it is still recognised.
  auto engine = OpenEngine(dir.path());
  auto replay = Apply(*engine, {StreamOp(WriteKind::kIndex, "c", 8),
                                StreamOp(WriteKind::kDelete, "a", 9)});
  ASSERT_EQ(replay.size(), 2u);
  EXPECT_TRUE(replay[0].replayed);
  EXPECT_EQ(replay[1].result, WriteResultKind::kDeleted);
  EXPECT_EQ(replay[1].seq_no, 9);
  EXPECT_EQ(engine->GetDocument("copy", "c")->version, 1);
}

}  // namespace
}  // namespace lookalike::testing
