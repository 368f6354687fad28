// Per-item write results: the wire format (exact round trip, damaged input refused) and the
// bounded ring a copy keeps them in.
#include "cluster/write_results.h"

#include <gtest/gtest.h>

namespace lookalike::cluster {
namespace {

std::vector<WriteOutcome> Sample() {
  std::vector<WriteOutcome> out(3);
  out[0].result = WriteResultKind::kUpdated;
  out[0].version = 4;
  out[0].seq_no = 17;
  out[0].primary_term = 2;
  out[1].status = Status::Conflict("[d0]: version conflict, document already exists")
                      .WithKind(ErrorKind::kVersionConflict);
  out[2].result = WriteResultKind::kNotFound;
  out[2].version = 1;
  out[2].seq_no = 17;
  return out;
}

TEST(WriteResultsTest, RoundTripsDecisions) {
  std::string bytes = EncodeWriteResults(Sample());
  auto decoded = DecodeWriteResults(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), 3u);
  const std::vector<WriteOutcome> want = Sample();
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*decoded)[i].result, want[i].result) << i;
    EXPECT_EQ((*decoded)[i].version, want[i].version) << i;
    EXPECT_EQ((*decoded)[i].seq_no, want[i].seq_no) << i;
    EXPECT_EQ((*decoded)[i].primary_term, want[i].primary_term) << i;
    EXPECT_EQ((*decoded)[i].status.code(), want[i].status.code()) << i;
    EXPECT_EQ((*decoded)[i].status.kind(), want[i].status.kind()) << i;
    EXPECT_EQ((*decoded)[i].status.message(), want[i].status.message()) << i;
  }
  EXPECT_EQ(EncodeWriteResults(*decoded), bytes);  // canonical
  ASSERT_TRUE(DecodeWriteResults(EncodeWriteResults({})).ok());
}

TEST(WriteResultsTest, DamagedInputIsRefused) {
  std::string bytes = EncodeWriteResults(Sample());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] ^= 0x20;
    EXPECT_FALSE(DecodeWriteResults(damaged).ok()) << "byte " << i;
  }
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(DecodeWriteResults(std::string_view(bytes).substr(0, n)).ok()) << n;
  }
}

TEST(WriteResultsTest, RingKeepsTheLatestWithinItsBound) {
  WriteResultRing ring(4);
  for (uint64_t seq = 1; seq <= 6; ++seq) ring.Add(seq, std::vector<WriteOutcome>(2));
  // 4 items beyond the latest batch: sequences 4, 5 and 6 are kept.
  EXPECT_EQ(ring.Get(3).status().code(), StatusCode::kNotFound);
  for (uint64_t seq = 4; seq <= 6; ++seq) {
    auto got = ring.Get(seq);
    ASSERT_TRUE(got.ok()) << seq;
    EXPECT_EQ(got->size(), 2u);
  }
  EXPECT_EQ(ring.Get(7).status().code(), StatusCode::kNotFound);
  // A batch larger than the bound is kept; older ones go until 4 items are left beside it.
  ring.Add(9, std::vector<WriteOutcome>(10));
  EXPECT_TRUE(ring.Get(9).ok());
  EXPECT_FALSE(ring.Get(4).ok());
  EXPECT_TRUE(ring.Get(5).ok());
  EXPECT_TRUE(ring.Get(6).ok());
}

}  // namespace
}  // namespace lookalike::cluster
