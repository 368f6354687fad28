// Role descriptors: parsing, patterns, built-in roles and privilege checks.
#include "server/security/roles.h"

#include <gtest/gtest.h>

namespace lookalike::security {
namespace {

TEST(PatternMatches, GlobsWithLiteralRequestNames) {
  EXPECT_TRUE(PatternMatches("*", "anything"));
  EXPECT_TRUE(PatternMatches("logs-*", "logs-2024"));
  EXPECT_TRUE(PatternMatches("logs-*", "logs-"));
  EXPECT_FALSE(PatternMatches("logs-*", "log"));
  EXPECT_TRUE(PatternMatches("*-prod", "web-prod"));
  EXPECT_TRUE(PatternMatches("a*b*c", "axxbyyc"));
  EXPECT_FALSE(PatternMatches("a*b*c", "axxbyy"));
  EXPECT_TRUE(PatternMatches("img?", "img1"));
  EXPECT_FALSE(PatternMatches("img?", "img12"));
  EXPECT_TRUE(PatternMatches("exact", "exact"));
  EXPECT_FALSE(PatternMatches("exact", "exactly"));
  // A wildcard request is covered only by a grant covering all its expansions.
  EXPECT_TRUE(PatternMatches("logs-*", "logs-*"));
  EXPECT_TRUE(PatternMatches("*", "logs-*"));
  EXPECT_FALSE(PatternMatches("logs-a", "logs-*"));
  EXPECT_FALSE(PatternMatches("logs-?", "logs-*"));
  EXPECT_FALSE(PatternMatches("logs-2*", "logs-*"));
}

TEST(RoleDescriptor, ParsesElasticsearchShapeAndRoundTrips) {
  auto role = ParseRoleDescriptor(
      R"({"cluster":["monitor"],"indices":[{"names":["logs-*","img"],"privileges":["read","write"]}],"metadata":{}})");
  ASSERT_TRUE(role.ok()) << role.status().ToString();
  EXPECT_EQ(role->cluster, std::vector<std::string>{"monitor"});
  ASSERT_EQ(role->indices.size(), 1u);
  EXPECT_EQ(role->indices[0].names, (std::vector<std::string>{"logs-*", "img"}));
  JsonWriter w;
  WriteRoleDescriptor(*role, &w);
  auto again = ParseRoleDescriptor(w.Take());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->indices[0].privileges, role->indices[0].privileges);
}

TEST(RoleDescriptor, RejectsUnknownPrivilegesAndBadShapes) {
  EXPECT_FALSE(ParseRoleDescriptor(R"({"cluster":["fly"]})").ok());
  EXPECT_FALSE(ParseRoleDescriptor(R"({"indices":[{"names":["a"],"privileges":["steal"]}]})").ok());
  EXPECT_FALSE(ParseRoleDescriptor(R"({"indices":[{"names":["a"]}]})").ok());
  EXPECT_FALSE(ParseRoleDescriptor(R"({"cluster":"all"})").ok());
  EXPECT_FALSE(ParseRoleDescriptor(R"([1])").ok());
  EXPECT_FALSE(ParseRoleDescriptor(R"({"surprise":1})").ok());
}

TEST(Roles, BuiltinsGrantWhatTheirNamesSay) {
  std::vector<RoleDescriptor> superuser = {*BuiltinRole("superuser")};
  std::vector<RoleDescriptor> viewer = {*BuiltinRole("viewer")};
  std::vector<RoleDescriptor> editor = {*BuiltinRole("editor")};
  EXPECT_TRUE(GrantsCluster(superuser, {"all"}));
  EXPECT_TRUE(GrantsIndex(superuser, "x", {"all"}));
  EXPECT_TRUE(GrantsIndex(viewer, "x", {"read", "all"}));
  EXPECT_FALSE(GrantsIndex(viewer, "x", {"write", "all"}));
  EXPECT_FALSE(GrantsCluster(viewer, {"manage", "all"}));
  EXPECT_TRUE(GrantsCluster(viewer, {"monitor"}));
  EXPECT_TRUE(GrantsIndex(editor, "x", {"write", "all"}));
  EXPECT_FALSE(GrantsCluster(editor, {"manage_security", "manage", "all"}));
  EXPECT_EQ(BuiltinRole("nobody"), nullptr);
}

TEST(Roles, IndexGrantsFollowPatterns) {
  auto role = ParseRoleDescriptor(
      R"({"indices":[{"names":["logs-*"],"privileges":["read"]},{"names":["img"],"privileges":["write"]}]})");
  ASSERT_TRUE(role.ok());
  std::vector<RoleDescriptor> roles = {*role};
  EXPECT_TRUE(GrantsIndex(roles, "logs-1", {"read", "all"}));
  EXPECT_FALSE(GrantsIndex(roles, "img", {"read", "all"}));
  EXPECT_TRUE(GrantsIndex(roles, "img", {"write", "all"}));
  EXPECT_FALSE(GrantsIndex(roles, "*", {"read", "all"}));
  EXPECT_TRUE(GrantsAnyIndex(roles, {"read"}));
  EXPECT_FALSE(GrantsAnyIndex(roles, {"manage"}));
}

}  // namespace
}  // namespace lookalike::security
