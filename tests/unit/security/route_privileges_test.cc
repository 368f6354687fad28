// The route → privilege table: every family of routes needs the privilege docs/security.md says.
#include "server/security/route_privileges.h"

#include <gtest/gtest.h>

namespace lookalike::security {
namespace {

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

RequiredAccess For(std::string_view method, std::string_view path, std::string_view body = "") {
  return RequiredAccessFor(method, Segments(path), body);
}

using Names = std::vector<std::string>;

TEST(RoutePrivileges, ReadRoutes) {
  for (auto [method, path] :
       std::vector<std::pair<const char*, const char*>>{{"POST", "/img/_search"},
                                                        {"GET", "/img/_doc/1"},
                                                        {"HEAD", "/img/_doc/1"},
                                                        {"POST", "/img/_count"},
                                                        {"GET", "/img/_mapping"},
                                                        {"POST", "/img/_search/image"},
                                                        {"GET", "/img/_image/7"},
                                                        {"POST", "/img/_near_duplicates"},
                                                        {"GET", "/_cat/indices/img"},
                                                        {"GET", "/img"}}) {
    RequiredAccess a = For(method, path);
    EXPECT_EQ(a.kind, AccessKind::kIndices) << method << " " << path;
    EXPECT_EQ(a.indices, Names{"img"}) << method << " " << path;
    EXPECT_NE(std::find(a.granted_by.begin(), a.granted_by.end(), "read"), a.granted_by.end())
        << method << " " << path;
  }
  RequiredAccess search = For("GET", "/_search");
  EXPECT_EQ(search.action, "indices:data/read/search");
  EXPECT_EQ(search.indices, Names{"*"});
  EXPECT_EQ(For("GET", "/a,b/_search").indices, (Names{"a", "b"}));
  EXPECT_EQ(For("GET", "/_all/_search").indices, Names{"*"});
  EXPECT_EQ(For("POST", "/_search/scroll").kind, AccessKind::kAnyIndex);
}

TEST(RoutePrivileges, ShardEndpointsNeedReadOnTheUsersIndex) {
  for (const char* endpoint : {"_search", "_count", "_get", "_vector", "_neural_target"}) {
    RequiredAccess a = For("POST", std::string("/_internal/shards/img~2~u1/") + endpoint);
    EXPECT_EQ(a.kind, AccessKind::kIndices) << endpoint;
    EXPECT_EQ(a.indices, Names{"img"}) << endpoint;
    EXPECT_EQ(a.granted_by, (std::vector<std::string_view>{"read", "all"})) << endpoint;
  }
  // Not a way around the index rules: other methods and unknown endpoints need cluster "all".
  EXPECT_EQ(For("GET", "/_internal/shards/img~2~u1/_search").granted_by,
            std::vector<std::string_view>{"all"});
  EXPECT_EQ(For("POST", "/_internal/shards/img~2~u1/_bulk").kind, AccessKind::kCluster);
}

TEST(RoutePrivileges, WriteRoutes) {
  for (auto [method, path] :
       std::vector<std::pair<const char*, const char*>>{{"PUT", "/img/_doc/1"},
                                                        {"POST", "/img/_doc"},
                                                        {"DELETE", "/img/_doc/1"},
                                                        {"POST", "/img/_update/1"},
                                                        {"PUT", "/img/_create/1"}}) {
    RequiredAccess a = For(method, path);
    EXPECT_EQ(a.kind, AccessKind::kIndices) << method << " " << path;
    EXPECT_NE(std::find(a.granted_by.begin(), a.granted_by.end(), "write"), a.granted_by.end())
        << method << " " << path;
    EXPECT_EQ(std::find(a.granted_by.begin(), a.granted_by.end(), "read"), a.granted_by.end());
  }
}

TEST(RoutePrivileges, ManageAndClusterRoutes) {
  EXPECT_EQ(For("PUT", "/img").action, "indices:admin/create");
  EXPECT_EQ(For("DELETE", "/img").action, "indices:admin/delete");
  EXPECT_EQ(For("PUT", "/img/_mapping").action, "indices:admin/mapping/put");
  EXPECT_EQ(For("POST", "/img/_refresh").action, "indices:admin/refresh");
  EXPECT_EQ(For("POST", "/_flush").indices, Names{"*"});
  for (std::string_view privilege : For("PUT", "/img/_mapping").granted_by) {
    EXPECT_NE(privilege, "read");
    EXPECT_NE(privilege, "write");
  }
  RequiredAccess health = For("GET", "/_cluster/health");
  EXPECT_EQ(health.kind, AccessKind::kCluster);
  EXPECT_EQ(health.granted_by, (std::vector<std::string_view>{"monitor", "manage", "all"}));
  EXPECT_EQ(For("PUT", "/_cluster/settings").granted_by,
            (std::vector<std::string_view>{"manage", "all"}));
  EXPECT_EQ(For("GET", "/").kind, AccessKind::kAuthenticated);
  EXPECT_EQ(For("GET", "/_ui/app.js").kind, AccessKind::kAuthenticated);
  EXPECT_EQ(For("GET", "/_security/_authenticate").kind, AccessKind::kSecurityApi);
  EXPECT_EQ(For("DELETE", "/_security/api_key").kind, AccessKind::kSecurityApi);
}

TEST(RoutePrivileges, SettingsUpdatesNeedManageAndTheSlowLogNeedsMonitor) {
  const std::vector<std::string_view> manage = {"manage", "all"};
  for (const char* path : {"/img/_settings", "/_settings", "/_all/_settings"}) {
    RequiredAccess a = For("PUT", path);
    EXPECT_EQ(a.kind, AccessKind::kIndices) << path;
    EXPECT_EQ(a.action, "indices:admin/settings/update") << path;
    EXPECT_EQ(a.granted_by, manage) << path;
  }
  EXPECT_EQ(For("PUT", "/img/_settings").indices, Names{"img"});
  EXPECT_EQ(For("PUT", "/_settings").indices, Names{"*"});  // not PUT /{index} (create)
  EXPECT_EQ(For("PUT", "/a,b*/_settings").indices, (Names{"a", "b*"}));
  EXPECT_EQ(For("GET", "/_settings").action, "indices:monitor/settings/get");
  RequiredAccess slowlog = For("GET", "/_lookalike/slowlog");
  EXPECT_EQ(slowlog.kind, AccessKind::kCluster);
  EXPECT_EQ(slowlog.granted_by, (std::vector<std::string_view>{"manage", "all"}));
}

TEST(RoutePrivileges, UnmappedRoutesNeedClusterAll) {
  RequiredAccess a = For("POST", "/_tasks/_cancel");
  EXPECT_EQ(a.kind, AccessKind::kCluster);
  EXPECT_EQ(a.granted_by, std::vector<std::string_view>{"all"});
  EXPECT_EQ(For("PATCH", "/img/_doc/1").granted_by, std::vector<std::string_view>{"all"});
}

TEST(RoutePrivileges, SnapshotRoutesUseElasticsearchsSnapshotPrivileges) {
  using V = std::vector<std::string_view>;
  RequiredAccess get = For("GET", "/_snapshot/repo/_all");
  EXPECT_EQ(get.kind, AccessKind::kCluster);
  EXPECT_EQ(get.action, "cluster:admin/snapshot/get");
  EXPECT_EQ(get.granted_by, (V{"monitor_snapshot", "create_snapshot", "manage", "all"}));
  EXPECT_EQ(For("GET", "/_snapshot").granted_by, get.granted_by);
  EXPECT_EQ(For("PUT", "/_snapshot/repo/s1").granted_by, (V{"create_snapshot", "manage", "all"}));
  EXPECT_EQ(For("PUT", "/_snapshot/repo").granted_by, (V{"manage", "all"}));
  EXPECT_EQ(For("DELETE", "/_snapshot/repo/s1").granted_by, (V{"manage", "all"}));
  RequiredAccess restore = For("POST", "/_snapshot/repo/s1/_restore");
  EXPECT_EQ(restore.action, "cluster:admin/snapshot/restore");
  EXPECT_EQ(restore.granted_by, (V{"manage", "all"}));
}

TEST(RoutePrivileges, LiteralSegmentsBeatIndexNames) {
  // "/_search" is never an index called "_search"; "/_cat/indices" is not a doc route.
  EXPECT_EQ(For("GET", "/_search").indices, Names{"*"});
  EXPECT_EQ(For("GET", "/_mapping").action, "indices:admin/mappings/get");
  EXPECT_EQ(For("GET", "/_stats").action, "indices:monitor/stats");
}

TEST(RoutePrivileges, BulkNamesEveryIndexOfItsActionLines) {
  std::string body =
      "{\"index\":{\"_index\":\"a\",\"_id\":\"1\"}}\n{\"f\":1}\n"
      "{\"delete\":{\"_index\":\"b\",\"_id\":\"2\"}}\n"
      "{\"create\":{\"_id\":\"3\"}}\n{\"f\":{\"_index\":\"not-an-action\"}}\n"
      "{\"update\":{\"_index\":\"c\",\"_id\":\"4\"}}\n{\"doc\":{\"f\":2}}\n";
  RequiredAccess a = For("POST", "/path/_bulk", body);
  EXPECT_EQ(a.action, "indices:data/write/bulk");
  EXPECT_EQ(a.indices, (Names{"a", "b", "c", "path"}));
  EXPECT_EQ(For("POST", "/_bulk", "{\"index\":{\"_index\":\"x\"}}\n{}\n").indices, Names{"x"});
  // An action line we cannot read could go anywhere: a refusal names every index.
  EXPECT_EQ(For("POST", "/p/_bulk", "{nonsense\n{}\n").indices, (Names{"*"}));
}

TEST(RoutePrivileges, MgetNamesEveryDocIndex) {
  EXPECT_EQ(For("POST", "/_mget", R"({"docs":[{"_index":"a","_id":"1"},{"_index":"b","_id":"2"}]})")
                .indices,
            (Names{"a", "b"}));
  EXPECT_EQ(For("POST", "/p/_mget", R"({"docs":[{"_id":"1"},{"_index":"q","_id":"2"}]})").indices,
            (Names{"p", "q"}));
  EXPECT_EQ(For("POST", "/p/_mget", R"({"ids":["1","2"]})").indices, Names{"p"});
}

}  // namespace
}  // namespace lookalike::security
