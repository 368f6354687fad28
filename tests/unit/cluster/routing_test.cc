// Document routing: the hash is MurmurHash3 x86_32 and the shard choice is stable and even.
#include "cluster/routing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lookalike::cluster {
namespace {

TEST(RoutingTest, Murmur3MatchesTheReferenceVectors) {
  // Published test vectors of MurmurHash3_x86_32.
  EXPECT_EQ(Murmur3X86_32("", 0), 0u);
  EXPECT_EQ(Murmur3X86_32("", 1), 0x514E28B7u);
  EXPECT_EQ(Murmur3X86_32("", 0xffffffffu), 0x81F16F39u);
  EXPECT_EQ(Murmur3X86_32("hello", 0), 0x248BFA47u);
  EXPECT_EQ(Murmur3X86_32("hello, world", 0), 0x149BBB7Fu);
  EXPECT_EQ(Murmur3X86_32("The quick brown fox jumps over the lazy dog", 0), 0x2E4FF723u);
  EXPECT_EQ(Murmur3X86_32(std::string("\0\0\0\0", 4), 0), 0x2362F9DEu);
}

TEST(RoutingTest, ShardOfAnIdNeverChanges) {
  // Where documents live: these values are part of the data layout (docs/design/cluster.md)
  // and must never change between versions.
  EXPECT_EQ(ShardForRouting("hello", 5), static_cast<int>(0x248BFA47 % 5));
  EXPECT_EQ(ShardForRouting("doc-1", 1), 0);
  std::vector<int> shards;
  for (const char* id : {"a", "b", "c", "doc-1", "doc-2", "photo/123.jpg"}) {
    shards.push_back(ShardForRouting(id, 3));
  }
  std::vector<int> again;
  for (const char* id : {"a", "b", "c", "doc-1", "doc-2", "photo/123.jpg"}) {
    again.push_back(ShardForRouting(id, 3));
  }
  EXPECT_EQ(shards, again);
  // A hash with the top bit set is a negative int32: the shard is its floorMod (as Java's
  // Math.floorMod), not C++'s negative remainder.
  std::string id;
  for (int i = 0; Murmur3X86_32(id = "n" + std::to_string(i)) < 0x80000000u; ++i) {
  }
  int64_t signed_hash = static_cast<int32_t>(Murmur3X86_32(id));
  ASSERT_LT(signed_hash, 0);
  for (int n = 1; n <= 7; ++n) {
    int shard = ShardForRouting(id, n);
    EXPECT_GE(shard, 0);
    EXPECT_LT(shard, n);
    EXPECT_EQ(shard, static_cast<int>(((signed_hash % n) + n) % n));
  }
}

TEST(RoutingTest, IdsSpreadEvenlyOverShards) {
  for (int shards : {2, 3, 5, 16}) {
    std::vector<int> counts(shards, 0);
    constexpr int kDocs = 30000;
    for (int i = 0; i < kDocs; ++i) ++counts[ShardForRouting("doc-" + std::to_string(i), shards)];
    double expected = static_cast<double>(kDocs) / shards;
    for (int c : counts) {
      // Within 5% of an even split (a binomial's sd is well under 1% here).
      EXPECT_NEAR(c, expected, expected * 0.05) << shards << " shards";
    }
  }
}

}  // namespace
}  // namespace lookalike::cluster
