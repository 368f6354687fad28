// Scroll contexts: keep-alive parsing, take/put, expiry, the open-context cap and clearing.
#include "server/handlers/scroll.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

namespace lookalike::server {
namespace {

using std::chrono::milliseconds;

TEST(Scroll, KeepAliveDurations) {
  EXPECT_EQ(ParseKeepAlive("500ms").value(), milliseconds(500));
  EXPECT_EQ(ParseKeepAlive("30s").value(), milliseconds(30000));
  EXPECT_EQ(ParseKeepAlive("2m").value(), milliseconds(120000));
  EXPECT_EQ(ParseKeepAlive("1h").value(), milliseconds(3600000));
  EXPECT_EQ(ParseKeepAlive("1d").value(), milliseconds(86400000));
  for (const char* bad : {"", "m", "5", "5x", "-1m", "25h", "2d", "99999999999999999999s"}) {
    auto r = ParseKeepAlive(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().kind(), ErrorKind::kInvalidValue) << bad;
  }
}

TEST(Scroll, IdsAreRandom128BitBase64Url) {
  ScrollStore store;
  ScrollContext c;
  c.expires = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  std::vector<std::string> ids;
  for (int i = 0; i < 50; ++i) ids.push_back(store.Add(c).value());
  for (const std::string& id : ids) {
    EXPECT_EQ(id.size(), 22u) << id;  // 128 bits in base64url, no padding
    for (char ch : id) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') << id;
    }
  }
  // Neither repeated nor sharing a prefix the way a counter would.
  for (size_t i = 1; i < ids.size(); ++i) {
    EXPECT_NE(ids[i], ids[i - 1]);
    EXPECT_NE(ids[i].substr(0, 8), ids[i - 1].substr(0, 8));
  }
}

TEST(Scroll, StoreTakesPutsExpiresAndCaps) {
  ScrollStore store;
  ScrollContext c;
  c.index = "i";
  c.expires = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  std::string id = store.Add(c).value();
  auto taken = store.Take(id, "");
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->index, "i");
  EXPECT_FALSE(store.Take(id, "").has_value());  // in use: a second request cannot take it
  store.Put(id, *taken);
  EXPECT_TRUE(store.Take(id, "").has_value());

  ScrollContext expired = c;
  expired.expires = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  std::string old = store.Add(expired).value();
  EXPECT_FALSE(store.Take(old, "").has_value());

  std::vector<std::string> ids;
  for (size_t i = 0; i < ScrollStore::kMaxContexts; ++i) ids.push_back(store.Add(c).value());
  auto over = store.Add(c);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().kind(), ErrorKind::kTooManyScrolls);
  EXPECT_EQ(store.Clear({ids[0], "nope"}, ""), 1u);
  EXPECT_TRUE(store.Add(c).ok());
  EXPECT_EQ(store.Clear({"_all"}, ""), ScrollStore::kMaxContexts);
}

TEST(Scroll, AContextAnswersOnlyItsOwner) {
  ScrollStore store;
  ScrollContext c;
  c.index = "i";
  c.owner = "user/alice";
  c.expires = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  std::string alices = store.Add(c).value();
  c.owner = "user/bob";
  std::string bobs = store.Add(c).value();
  // Another caller neither takes nor frees it, and it stays for its owner.
  EXPECT_FALSE(store.Take(alices, "user/bob").has_value());
  EXPECT_FALSE(store.Take(alices, "").has_value());
  EXPECT_EQ(store.Clear({alices}, "user/bob"), 0u);
  // "_all" means all of the caller's own.
  EXPECT_EQ(store.Clear({"_all"}, "user/bob"), 1u);
  EXPECT_FALSE(store.Take(bobs, "user/bob").has_value());
  auto taken = store.Take(alices, "user/alice");
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->owner, "user/alice");
}

}  // namespace
}  // namespace lookalike::server
