// The write batch wire format: exact round trips and refusal of damaged input.
#include "cluster/write_batch.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "common/coding.h"
#include "common/crc32c.h"

namespace lookalike::cluster {
namespace {

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

void ExpectSameVectors(const std::vector<FieldVector>& a, const std::vector<FieldVector>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].path, b[i].path);
    EXPECT_TRUE(SameBits(a[i].values, b[i].values)) << a[i].path;
  }
}

void ExpectSameOp(const WriteOp& a, const WriteOp& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.partial_doc, b.partial_doc);
  EXPECT_EQ(a.upsert, b.upsert);
  EXPECT_EQ(a.doc_as_upsert, b.doc_as_upsert);
  EXPECT_EQ(a.condition.if_seq_no, b.condition.if_seq_no);
  EXPECT_EQ(a.condition.if_primary_term, b.condition.if_primary_term);
  ExpectSameVectors(a.vectors, b.vectors);
  ExpectSameVectors(a.upsert_vectors, b.upsert_vectors);
}

std::vector<WriteOp> SampleOps() {
  std::vector<WriteOp> ops(4);
  ops[0].kind = WriteKind::kIndex;
  ops[0].index = "photos";
  ops[0].id = "a";
  ops[0].source = R"({"category":"shoes","fvec":[0.5,1]})";
  ops[1].kind = WriteKind::kCreate;
  ops[1].index = "photos";
  ops[1].id = std::string("bin\0id\xff", 7);
  ops[1].source = "{}";
  ops[1].vectors = {{"fvec",
                     {1.0f, -0.0f, std::numeric_limits<float>::denorm_min(),
                      std::numeric_limits<float>::quiet_NaN(), INFINITY}},
                    {"empty", {}}};
  ops[2].kind = WriteKind::kUpdate;
  ops[2].index = "photos";
  ops[2].id = "c";
  ops[2].partial_doc = R"({"category":"hats"})";
  ops[2].upsert = "";  // present but empty differs from absent
  ops[2].doc_as_upsert = true;
  ops[2].condition = {7, 2};
  ops[2].upsert_vectors = {{"fvec", {3.0f}}};
  ops[3].kind = WriteKind::kDelete;
  ops[3].index = "other";
  ops[3].id = "d";
  return ops;
}

TEST(WriteBatchTest, RoundTripsEveryField) {
  std::vector<WriteOp> ops = SampleOps();
  std::string bytes = EncodeWriteBatch(ops, 5);
  EXPECT_EQ(bytes.substr(0, 4), "LKWB");
  auto decoded = DecodeWriteBatch(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->version, kWriteBatchVersion);
  EXPECT_EQ(decoded->primary_term, 5);
  ASSERT_EQ(decoded->ops.size(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i) ExpectSameOp(decoded->ops[i], ops[i]);
  EXPECT_FALSE(decoded->ops[0].partial_doc.has_value());
  EXPECT_TRUE(decoded->ops[2].upsert.has_value());
  EXPECT_EQ(EncodeWriteBatch(decoded->ops, decoded->primary_term), bytes);  // canonical
}

TEST(WriteBatchTest, EmptyBatchRoundTrips) {
  auto decoded = DecodeWriteBatch(EncodeWriteBatch({}));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->ops.empty());
  EXPECT_EQ(decoded->primary_term, 1);
}

// A version-1 batch (streams written before the primary term travelled) still reads: the
// payload is version 2's without the leading term, and the term reads as 1.
TEST(WriteBatchTest, VersionOneBatchesStillRead) {
  std::string current = EncodeWriteBatch(SampleOps(), 3);
  std::string payload = current.substr(kWriteBatchHeaderSize + 8);
  std::string v1 = current.substr(0, 4);
  PutFixed<uint16_t>(&v1, 1);
  PutFixed<uint16_t>(&v1, 0);
  PutFixed<uint32_t>(&v1, 4);
  PutFixed<uint32_t>(&v1, static_cast<uint32_t>(payload.size()));
  PutFixed<uint32_t>(&v1, Crc32c(payload.data(), payload.size()));
  v1 += payload;
  auto decoded = DecodeWriteBatch(v1);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->version, 1);
  EXPECT_EQ(decoded->primary_term, 1);
  ASSERT_EQ(decoded->ops.size(), 4u);
  std::vector<WriteOp> ops = SampleOps();
  for (size_t i = 0; i < ops.size(); ++i) ExpectSameOp(decoded->ops[i], ops[i]);
}

TEST(WriteBatchTest, PrimaryTermBelowOneIsRefused) {
  EXPECT_EQ(DecodeWriteBatch(EncodeWriteBatch(SampleOps(), 0)).status().code(),
            StatusCode::kCorruption);
}

TEST(WriteBatchTest, EveryFlippedByteIsRefused) {
  std::string bytes = EncodeWriteBatch(SampleOps());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] ^= 0x40;
    EXPECT_FALSE(DecodeWriteBatch(damaged).ok()) << "byte " << i;
  }
}

TEST(WriteBatchTest, TruncationAndTrailingBytesAreRefused) {
  std::string bytes = EncodeWriteBatch(SampleOps());
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeWriteBatch(std::string_view(bytes).substr(0, n)).ok()) << n;
  }
  EXPECT_EQ(DecodeWriteBatch(bytes + "x").status().code(), StatusCode::kCorruption);
}

TEST(WriteBatchTest, NewerVersionIsUnsupported) {
  std::string bytes = EncodeWriteBatch(SampleOps());
  bytes[4] = 3;
  EXPECT_EQ(DecodeWriteBatch(bytes).status().code(), StatusCode::kUnsupported);
}

TEST(WriteBatchTest, HugeCountsWithAValidChecksumAreRefusedWithoutAllocating) {
  // Consistent length and checksum, so only the count checks stand between these and a giant
  // allocation: a vector count of 2^32-1, then a write count of 2^32-1.
  WriteOp op;
  op.index = "i";
  std::string bytes = EncodeWriteBatch({op});
  std::string payload = bytes.substr(kWriteBatchHeaderSize);  // the term, then the write
  auto reseal = [&](const std::string& body, uint32_t count) {
    std::string out = bytes.substr(0, 8);
    PutFixed<uint32_t>(&out, count);
    PutFixed<uint32_t>(&out, static_cast<uint32_t>(body.size()));
    PutFixed<uint32_t>(&out, Crc32c(body.data(), body.size()));
    return out + body;
  };
  ASSERT_TRUE(DecodeWriteBatch(reseal(payload, 1)).ok());
  std::string many_vectors = payload;
  std::memset(many_vectors.data() + many_vectors.size() - 8, 0xff, 4);  // vector count
  EXPECT_EQ(DecodeWriteBatch(reseal(many_vectors, 1)).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeWriteBatch(reseal(payload, 0xffffffffu)).status().code(),
            StatusCode::kCorruption);
}

}  // namespace
}  // namespace lookalike::cluster
