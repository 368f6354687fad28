// The node report (cluster/node_report.h): exact round trip, and damaged bytes are Corruption.
#include "cluster/node_report.h"

#include <gtest/gtest.h>

namespace lookalike::cluster {
namespace {

NodeReport Sample() {
  NodeReport r;
  r.node = "n2";
  r.resident_bytes = 123456789;
  r.mem_total_bytes = int64_t{16} << 30;
  r.mem_free_bytes = int64_t{3} << 30;
  r.load_average[0] = 1.25f;
  r.load_average[1] = 0.5f;
  r.load_average[2] = 0.125f;
  r.state_revision = 4242;
  r.copies.push_back({"docs~0~abc", 1000, 3, 65536, 4096});
  r.copies.push_back({"docs~2~abc", 998, 0, 65000, 4000});
  return r;
}

TEST(NodeReportTest, RoundTripsExactly) {
  NodeReport want = Sample();
  std::string bytes = EncodeNodeReport(want);
  auto got = DecodeNodeReport(bytes);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, want);
  EXPECT_EQ(EncodeNodeReport(*got), bytes);  // canonical
  auto empty = DecodeNodeReport(EncodeNodeReport(NodeReport{}));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->copies.empty());
}

TEST(NodeReportTest, DamagedBytesAreCorruption) {
  std::string bytes = EncodeNodeReport(Sample());
  for (size_t cut : {size_t{0}, size_t{3}, size_t{16}, bytes.size() - 1}) {
    EXPECT_EQ(DecodeNodeReport(bytes.substr(0, cut)).status().code(), StatusCode::kCorruption)
        << cut;
  }
  std::string flipped = bytes;
  flipped[20] ^= 0x40;  // the checksum no longer matches
  EXPECT_EQ(DecodeNodeReport(flipped).status().code(), StatusCode::kCorruption);
  std::string other = bytes;
  other[0] = 'X';  // another message's magic
  EXPECT_EQ(DecodeNodeReport(other).status().code(), StatusCode::kCorruption);
}

// A node that is not listening is reported as an error beside the others; the local node is
// asked in-process.
TEST(NodeReportTest, CollectReportsTheUnreachableNodeAsAnError) {
  std::vector<ReportTarget> targets = {{"n1", "127.0.0.1:1"}, {"n2", "127.0.0.1:1"}};
  ReportOptions options;
  options.timeout = std::chrono::milliseconds(2000);
  auto reports = CollectNodeReports(targets, "n2", [] { return Sample(); }, options);
  ASSERT_EQ(reports.size(), 2u);
  ASSERT_TRUE(reports.at("n2").ok());
  EXPECT_EQ(reports.at("n2")->copies.size(), 2u);
  EXPECT_EQ(reports.at("n1").status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace lookalike::cluster
