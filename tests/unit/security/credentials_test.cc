// Base64, Authorization header parsing, API key encoding and argon2id hashing.
#include "server/security/credentials.h"

#include <gtest/gtest.h>

#include "server/security/password_hash.h"

namespace lookalike::security {
namespace {

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    bytes.push_back(static_cast<char>(i * 37));
    auto back = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, bytes);
  }
  EXPECT_EQ(Base64Encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(Base64Encode("a"), "YQ==");
  EXPECT_FALSE(Base64Decode("a$b=").ok());
  EXPECT_FALSE(Base64Decode("abcde").ok());
}

TEST(Authorization, ParsesBasicAndApiKey) {
  auto basic = ParseAuthorization("Basic " + Base64Encode("elastic:pa:ss"));
  ASSERT_TRUE(basic.ok());
  EXPECT_EQ(basic->kind, CredentialKind::kBasic);
  EXPECT_EQ(basic->principal, "elastic");
  EXPECT_EQ(basic->secret, "pa:ss");  // only the first ':' separates

  auto lower = ParseAuthorization("basic " + Base64Encode("u:p"));
  ASSERT_TRUE(lower.ok());
  EXPECT_EQ(lower->kind, CredentialKind::kBasic);

  // The encoded value Elasticsearch returns for id VuaCfGcBCdbkQm-e5aOx, key
  // ui2lp2axTNmsyakw9tvNnw.
  std::string encoded = EncodeApiKey("VuaCfGcBCdbkQm-e5aOx", "ui2lp2axTNmsyakw9tvNnw");
  EXPECT_EQ(encoded, "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==");
  auto key = ParseAuthorization("ApiKey " + encoded);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->kind, CredentialKind::kApiKey);
  EXPECT_EQ(key->principal, "VuaCfGcBCdbkQm-e5aOx");
  EXPECT_EQ(key->secret, "ui2lp2axTNmsyakw9tvNnw");

  auto none = ParseAuthorization("");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->kind, CredentialKind::kNone);
}

TEST(Authorization, RejectsMalformedValuesWithoutEchoingThem) {
  EXPECT_FALSE(ParseAuthorization("Bearer abc").ok());
  EXPECT_FALSE(ParseAuthorization("Basic").ok());
  EXPECT_FALSE(ParseAuthorization("Basic !!!").ok());
  auto no_colon = ParseAuthorization("Basic " + Base64Encode("secretvalue"));
  ASSERT_FALSE(no_colon.ok());
  EXPECT_EQ(no_colon.status().message().find("secretvalue"), std::string::npos);
}

TEST(RandomToken, IsUrlSafeAndDifferentEachTime) {
  auto a = RandomToken(16);
  auto b = RandomToken(16);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 22u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->find_first_of("+/="), std::string::npos);
}

TEST(PasswordHash, VerifiesOnlyTheRightSecretAndIsSalted) {
  auto hash = HashSecret("correct horse", PasswordHashParams());
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *hash;
  EXPECT_TRUE(VerifySecret("correct horse", *hash));
  EXPECT_FALSE(VerifySecret("correct horse ", *hash));
  EXPECT_FALSE(VerifySecret("", *hash));
  auto again = HashSecret("correct horse", PasswordHashParams());
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*hash, *again);  // a fresh salt each time
  EXPECT_FALSE(VerifySecret("x", "not a hash"));
  EXPECT_FALSE(VerifySecret("x", "$argon2id$garbage"));
}

TEST(PasswordHash, ApiKeyHashesAreCheapButStillArgon2id) {
  auto hash = HashSecret("key", ApiKeyHashParams());
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=1024,t=1,p=1$", 0), 0u) << *hash;
  EXPECT_TRUE(VerifySecret("key", *hash));
}

TEST(PasswordHash, ReadsTheCostOfAPhcString) {
  auto params = ParseHashParams("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
  ASSERT_TRUE(params.ok()) << params.status().ToString();
  EXPECT_EQ(params->memory_kib, 19456u);
  EXPECT_EQ(params->passes, 2u);
  EXPECT_EQ(params->parallelism, 1u);
  EXPECT_TRUE(CheckHashCost(*params).ok());
  for (const char* bad : {"", "$argon2i$v=19$m=8,t=1,p=1$a$b", "$argon2id$v=16$m=8,t=1,p=1$a$b",
                          "$argon2id$v=19$m=8,t=1$a$b", "$argon2id$v=19$m=99999999999,t=1,p=1$a",
                          "$argon2id$v=19$m=+8,t=1,p=1$a$b", "$argon2id$v=19$m=8,t=1,p=1"}) {
    EXPECT_FALSE(ParseHashParams(bad).ok()) << bad;
  }
  EXPECT_FALSE(CheckHashCost(HashParams{1, kMaxHashMemoryKib + 1, 1}).ok());
  EXPECT_FALSE(CheckHashCost(HashParams{kMaxHashPasses + 1, 8, 1}).ok());
  EXPECT_FALSE(CheckHashCost(HashParams{0, 8, 1}).ok());
  EXPECT_FALSE(CheckHashCost(HashParams{1, 8, 2}).ok());  // argon2 needs 8 KiB per lane
}

// Regression (security_store fuzz target): a stored hash names its own cost, and VerifySecret ran
// whatever it said, so m=4194304 made a login allocate 4 GiB and t=4000 made it run for minutes.
TEST(PasswordHash, NeverRunsAHashBeyondTheCostBounds) {
  auto hash = HashSecret("pw", HashParams{1, 8, 1});
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(VerifySecret("pw", *hash));
  std::string costly = *hash;
  costly.replace(costly.find("m=8,t=1"), 7, "m=4194304,t=4000");
  EXPECT_FALSE(VerifySecret("pw", costly));  // returns at once instead of allocating 4 GiB
}

TEST(KeyedDigest, DependsOnDataAndKey) {
  std::string a = KeyedDigest("Basic abc", "key-one-16bytes!");
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a, KeyedDigest("Basic abc", "key-one-16bytes!"));
  EXPECT_NE(a, KeyedDigest("Basic abd", "key-one-16bytes!"));
  EXPECT_NE(a, KeyedDigest("Basic abc", "key-two-16bytes!"));
}

}  // namespace
}  // namespace lookalike::security
