#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace lookalike {
namespace {

TEST(Crc32cTest, KnownVectors) {
  // Standard check value for CRC-32C over "123456789" (RFC 3720 family).
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(Crc32c("", 0), 0u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720 B.4
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  std::string s = "the quick brown fox jumps over the lazy dog, twice or thrice";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint32_t a = Crc32cExtend(Crc32c(s.data(), cut), s.data() + cut, s.size() - cut);
    EXPECT_EQ(a, Crc32c(s.data(), s.size())) << cut;
  }
}

}  // namespace
}  // namespace lookalike
