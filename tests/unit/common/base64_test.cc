#include "common/base64.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace lookalike {
namespace {

TEST(Base64, EncodesBothAlphabets) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("a"), "YQ==");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(Base64Encode("abc"), "YWJj");
  EXPECT_EQ(Base64Encode(std::string("\xfb\xff", 2)), "+/8=");
  EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff", 2)), "-_8");
}

TEST(Base64, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>(i * 37));
    auto back = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, bytes);
    auto url = Base64DecodeBytes(Base64UrlEncode(bytes));
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(std::string(url->begin(), url->end()), bytes);
  }
}

TEST(Base64, RefusesWhatCannotBeBase64) {
  EXPECT_FALSE(Base64Decode("a$b=").ok());      // foreign byte
  EXPECT_FALSE(Base64Decode("abcde").ok());     // 6 leftover bits
  EXPECT_FALSE(Base64Decode("YQ===").ok());     // three '='
  EXPECT_FALSE(Base64Decode("YQ==YQ==").ok());  // padding in the middle
  EXPECT_FALSE(Base64Decode("YW I=").ok());     // whitespace only when asked to skip it
  auto wrapped = Base64Decode("YW\r\nI =", /*skip_whitespace=*/true);
  ASSERT_TRUE(wrapped.ok());
  EXPECT_EQ(*wrapped, "ab");
}

TEST(FillRandom, DrawsDifferentBytes) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    std::string bytes(16, '\0');
    ASSERT_TRUE(FillRandom(bytes.data(), bytes.size()).ok());
    seen.insert(bytes);
  }
  EXPECT_EQ(seen.size(), 20u);  // 128-bit draws do not repeat
}

}  // namespace
}  // namespace lookalike
