#include "common/coding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace lookalike {
namespace {

TEST(Coding, FixedLayoutRoundTripsAndIsLittleEndian) {
  uint8_t buf[32] = {};
  EncodeFixed<uint32_t>(buf, 0, 0x04030201u);
  EncodeFixed<uint64_t>(buf, 4, 0x0807060504030201ull);
  EncodeFixed<float>(buf, 12, -1.5f);
  EncodeFixed<int64_t>(buf, 16, -2);
  EncodeFixed<uint16_t>(buf, 30, 0xBEEF);  // the last two bytes
  EXPECT_EQ(buf[0], 1);
  EXPECT_EQ(buf[3], 4);
  EXPECT_EQ(buf[4], 1);
  EXPECT_EQ(buf[11], 8);
  EXPECT_EQ(DecodeFixed<uint32_t>(buf, 0), 0x04030201u);
  EXPECT_EQ(DecodeFixed<uint64_t>(buf, 4), 0x0807060504030201ull);
  EXPECT_EQ(DecodeFixed<float>(buf, 12), -1.5f);
  EXPECT_EQ(DecodeFixed<int64_t>(buf, 16), -2);
  EXPECT_EQ(DecodeFixed<uint16_t>(buf, 30), 0xBEEF);
}

TEST(Coding, StreamRoundTripOfEveryWidth) {
  std::string out;
  PutFixed<uint8_t>(&out, 0xAB);
  PutFixed<uint16_t>(&out, 0xCDEF);
  PutFixed<uint32_t>(&out, 0xDEADBEEFu);
  PutFixed<int64_t>(&out, std::numeric_limits<int64_t>::min());
  PutFixed<float>(&out, std::numeric_limits<float>::denorm_min());
  PutFixed<double>(&out, -0.0);
  ASSERT_EQ(out.size(), 1u + 2 + 4 + 8 + 4 + 8);
  std::string_view in = out;
  uint8_t a;
  uint16_t b;
  uint32_t c;
  int64_t d;
  float e;
  double f;
  ASSERT_TRUE(GetFixed(&in, &a) && GetFixed(&in, &b) && GetFixed(&in, &c) && GetFixed(&in, &d) &&
              GetFixed(&in, &e) && GetFixed(&in, &f));
  EXPECT_EQ(a, 0xAB);
  EXPECT_EQ(b, 0xCDEF);
  EXPECT_EQ(c, 0xDEADBEEFu);
  EXPECT_EQ(d, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(e, std::numeric_limits<float>::denorm_min());
  EXPECT_TRUE(std::signbit(f));
  EXPECT_TRUE(in.empty());
}

TEST(Coding, TruncatedInputConsumesNothing) {
  std::string out;
  PutFixed<uint64_t>(&out, 42);
  for (size_t len = 0; len < out.size(); ++len) {
    std::string_view in(out.data(), len);
    uint64_t v = 7;
    EXPECT_FALSE(GetFixed(&in, &v));
    EXPECT_EQ(in.size(), len);
    EXPECT_EQ(v, 7u);
  }
  std::string_view in = "abc";
  std::string_view got;
  EXPECT_FALSE(GetBytes(&in, 4, &got));
  EXPECT_EQ(in, "abc");
  ASSERT_TRUE(GetBytes(&in, 2, &got));
  EXPECT_EQ(got, "ab");
  EXPECT_EQ(in, "c");
  ASSERT_TRUE(GetBytes(&in, 0, &got));
  EXPECT_EQ(got, "");
}

TEST(Coding, BigEndianKeysSortInNumericOrder) {
  const uint32_t values[] = {0, 1, 255, 256, 65535, 0x01000000u, 0xFFFFFFFFu};
  std::string previous;
  for (uint32_t v : values) {
    std::string key = "d";
    PutBigEndian32(&key, v);
    ASSERT_EQ(key.size(), 5u);
    EXPECT_EQ(DecodeBigEndian32(AsBytes(key), 1), v);
    if (!previous.empty()) EXPECT_LT(previous, key);
    previous = key;
  }
  std::string one;
  PutBigEndian32(&one, 0x01020304u);
  EXPECT_EQ(one, std::string("\x01\x02\x03\x04", 4));
}

}  // namespace
}  // namespace lookalike
