#include "common/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace lookalike {
namespace {

TEST(GlobMatch, StarsAndLiterals) {
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("logs-*", "logs-2026"));
  EXPECT_TRUE(GlobMatch("logs-*", "logs-"));
  EXPECT_FALSE(GlobMatch("logs-*", "log"));
  EXPECT_TRUE(GlobMatch("*.emb", "crops.emb"));
  EXPECT_FALSE(GlobMatch("*.emb", "crops.embx"));
  EXPECT_TRUE(GlobMatch("a*b*c", "axxbyyc"));
  EXPECT_TRUE(GlobMatch("a*b*c", "abcbc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "acb"));
  EXPECT_TRUE(GlobMatch("a**b", "ab"));
  EXPECT_FALSE(GlobMatch("title", "title2"));
  EXPECT_FALSE(GlobMatch("t?tle", "title"));  // '?' is a plain character here
  EXPECT_TRUE(GlobMatch("t?tle", "t?tle"));
}

// A pattern of many stars against a long non-matching name must finish quickly: the recursive
// matcher it replaces took exponential time on this.
TEST(GlobMatch, ManyStarsStayLinearish) {
  std::string pattern;
  for (int i = 0; i < 40; ++i) pattern += "a*";
  pattern += "b";
  EXPECT_FALSE(GlobMatch(pattern, std::string(4000, 'a')));
  EXPECT_TRUE(GlobMatch(pattern, std::string(4000, 'a') + "b"));
}

}  // namespace
}  // namespace lookalike
