#include "server/security/route_privileges.h"

#include <simdjson.h>

#include <algorithm>

namespace lookalike::security {
namespace {

// How the route's index expressions are found.
// kShardPath: the path's {index} is a shard copy's local name "<index>~<shard>~<uuid>"
// (cluster/shard_map.h); the access is checked on the user's <index>.
enum class IndexSource { kNone, kPath, kBulkBody, kMgetBody, kShardPath };

struct RouteRule {
  std::string_view methods;  // comma-separated; HEAD is covered by GET
  std::string_view pattern;  // '/'-separated; "{x}" is a parameter segment
  AccessKind kind;
  std::string_view action;
  std::vector<std::string_view> granted_by;
  IndexSource source = IndexSource::kNone;
};

const std::vector<std::string_view> kRead = {"read", "all"};
const std::vector<std::string_view> kMetadata = {"read", "view_index_metadata", "manage", "all"};
const std::vector<std::string_view> kWriteIndex = {"index", "write", "all"};
const std::vector<std::string_view> kCreateDoc = {"create_doc", "create", "index", "write", "all"};
const std::vector<std::string_view> kDeleteDoc = {"delete", "write", "all"};
// A _bulk is let in when some index grants one of the write privileges; each item is then
// checked against its own index and action (BulkItemAccess), as Elasticsearch does.
const std::vector<std::string_view> kBulk = {"create_doc", "create", "delete", "index", "write",
                                             "all"};
const std::vector<std::string_view> kCreateIndex = {"create_index", "manage", "all"};
const std::vector<std::string_view> kDeleteIndex = {"delete_index", "manage", "all"};
const std::vector<std::string_view> kManage = {"manage", "all"};
const std::vector<std::string_view> kMaintenance = {"maintenance", "manage", "all"};
const std::vector<std::string_view> kIndexMonitor = {"monitor", "manage", "all"};
const std::vector<std::string_view> kClusterMonitor = {"monitor", "manage", "all"};
const std::vector<std::string_view> kClusterManage = {"manage", "all"};
// Elasticsearch's snapshot privileges: monitor_snapshot reads, create_snapshot also creates.
const std::vector<std::string_view> kSnapshotRead = {"monitor_snapshot", "create_snapshot",
                                                     "manage", "all"};
const std::vector<std::string_view> kSnapshotCreate = {"create_snapshot", "manage", "all"};

const std::vector<RouteRule>& Rules() {
  using K = AccessKind;
  using S = IndexSource;
  static const std::vector<RouteRule> kRules = {
      {"GET", "/", K::kAuthenticated, "cluster:monitor/main", {}},
      {"GET", "/_ui", K::kAuthenticated, "ui:read", {}},
      {"GET", "/_ui/{file}", K::kAuthenticated, "ui:read", {}},
      {"GET", "/_models", K::kAuthenticated, "cluster:monitor/models", {}},
      {"GET", "/_plugins/_ml/models", K::kAuthenticated, "cluster:monitor/models", {}},
      {"GET", "/_cluster/health", K::kCluster, "cluster:monitor/health", kClusterMonitor},
      {"GET", "/_cluster/health/{index}", K::kCluster, "cluster:monitor/health", kClusterMonitor},
      {"GET", "/_cluster/settings", K::kCluster, "cluster:monitor/settings", kClusterMonitor},
      {"GET", "/_prometheus/metrics", K::kCluster, "cluster:monitor/prometheus/metrics",
       kClusterMonitor},
      // Rates, sizes and index names for the status page: no documents or request bodies.
      {"GET", "/_lookalike/status", K::kCluster, "cluster:monitor/lookalike/status",
       kClusterMonitor},
      {"GET", "/_nodes", K::kCluster, "cluster:monitor/nodes/info", kClusterMonitor},
      {"GET", "/_nodes/{node_id}", K::kCluster, "cluster:monitor/nodes/info", kClusterMonitor},
      {"GET", "/_nodes/{node_id}/{metric}", K::kCluster, "cluster:monitor/nodes/info",
       kClusterMonitor},
      {"GET", "/_nodes/stats", K::kCluster, "cluster:monitor/nodes/stats", kClusterMonitor},
      {"GET", "/_nodes/stats/{metric}", K::kCluster, "cluster:monitor/nodes/stats",
       kClusterMonitor},
      {"GET", "/_nodes/{node_id}/stats", K::kCluster, "cluster:monitor/nodes/stats",
       kClusterMonitor},
      {"GET", "/_nodes/{node_id}/stats/{metric}", K::kCluster, "cluster:monitor/nodes/stats",
       kClusterMonitor},
      {"GET", "/_cat/health", K::kCluster, "cluster:monitor/health", kClusterMonitor},
      {"GET", "/_cat/nodes", K::kCluster, "cluster:monitor/nodes/info", kClusterMonitor},
      {"GET", "/_cat/count", K::kIndices, "indices:data/read/search", kRead, S::kNone},
      {"GET", "/_cat/count/{index}", K::kIndices, "indices:data/read/search", kRead, S::kPath},
      {"PUT", "/_cluster/settings", K::kCluster, "cluster:admin/settings/update", kClusterManage},
      // OpenSearch's search pipeline actions; reading one needs no more than monitor.
      {"GET", "/_search/pipeline", K::kCluster, "cluster:admin/search/pipeline/get",
       kClusterMonitor},
      {"GET", "/_search/pipeline/{id}", K::kCluster, "cluster:admin/search/pipeline/get",
       kClusterMonitor},
      {"PUT", "/_search/pipeline/{id}", K::kCluster, "cluster:admin/search/pipeline/put",
       kClusterManage},
      {"DELETE", "/_search/pipeline/{id}", K::kCluster, "cluster:admin/search/pipeline/delete",
       kClusterManage},
      {"GET", "/_snapshot", K::kCluster, "cluster:admin/repository/get", kSnapshotRead},
      {"GET", "/_snapshot/{repository}", K::kCluster, "cluster:admin/repository/get",
       kSnapshotRead},
      {"PUT,POST", "/_snapshot/{repository}", K::kCluster, "cluster:admin/repository/put",
       kClusterManage},
      {"DELETE", "/_snapshot/{repository}", K::kCluster, "cluster:admin/repository/delete",
       kClusterManage},
      {"GET", "/_snapshot/{repository}/{snapshot}", K::kCluster, "cluster:admin/snapshot/get",
       kSnapshotRead},
      {"PUT,POST", "/_snapshot/{repository}/{snapshot}", K::kCluster,
       "cluster:admin/snapshot/create", kSnapshotCreate},
      {"DELETE", "/_snapshot/{repository}/{snapshot}", K::kCluster, "cluster:admin/snapshot/delete",
       kClusterManage},
      {"POST", "/_snapshot/{repository}/{snapshot}/_restore", K::kCluster,
       "cluster:admin/snapshot/restore", kClusterManage},
      {"GET", "/_snapshot/_status", K::kCluster, "cluster:admin/snapshot/status", kSnapshotRead},
      {"GET", "/_snapshot/{repository}/_status", K::kCluster, "cluster:admin/snapshot/status",
       kSnapshotRead},
      {"GET", "/_snapshot/{repository}/{snapshot}/_status", K::kCluster,
       "cluster:admin/snapshot/status", kSnapshotRead},
      {"POST", "/_snapshot/{repository}/_verify", K::kCluster, "cluster:admin/repository/verify",
       kClusterManage},
      {"GET", "/_cat/shards", K::kIndices, "indices:monitor/stats", kRead, S::kNone},
      {"GET", "/_cat/shards/{index}", K::kIndices, "indices:monitor/stats", kRead, S::kPath},
      {"GET", "/_cat/indices", K::kIndices, "indices:monitor/stats", kRead, S::kNone},
      {"GET", "/_cat/indices/{index}", K::kIndices, "indices:monitor/stats", kRead, S::kPath},
      {"PUT", "/{index}", K::kIndices, "indices:admin/create", kCreateIndex, S::kPath},
      {"GET", "/{index}", K::kIndices, "indices:admin/get", kMetadata, S::kPath},
      {"DELETE", "/{index}", K::kIndices, "indices:admin/delete", kDeleteIndex, S::kPath},
      {"GET", "/_mapping", K::kIndices, "indices:admin/mappings/get", kMetadata, S::kNone},
      {"GET", "/{index}/_mapping", K::kIndices, "indices:admin/mappings/get", kMetadata, S::kPath},
      {"PUT,POST", "/{index}/_mapping", K::kIndices, "indices:admin/mapping/put", kManage,
       S::kPath},
      {"GET",
       "/{index}/_settings",
       K::kIndices,
       "indices:monitor/settings/get",
       {"view_index_metadata", "manage", "all"},
       S::kPath},
      {"PUT", "/{index}/_settings", K::kIndices, "indices:admin/settings/update", kManage,
       S::kPath},
      {"GET",
       "/_settings",
       K::kIndices,
       "indices:monitor/settings/get",
       {"view_index_metadata", "manage", "all"},
       S::kNone},
      {"PUT", "/_settings", K::kIndices, "indices:admin/settings/update", kManage, S::kNone},
      // The entries carry request bodies and document sources of every index: more than a
      // monitor (every built-in role has monitor) may read, so it takes manage.
      {"GET", "/_lookalike/slowlog", K::kCluster, "cluster:admin/lookalike/slowlog",
       kClusterManage},
      {"GET,POST", "/_count", K::kIndices, "indices:data/read/search", kRead, S::kNone},
      {"GET,POST", "/{index}/_count", K::kIndices, "indices:data/read/search", kRead, S::kPath},
      {"GET,POST", "/_refresh", K::kIndices, "indices:admin/refresh", kMaintenance, S::kNone},
      {"GET,POST", "/{index}/_refresh", K::kIndices, "indices:admin/refresh", kMaintenance,
       S::kPath},
      {"GET,POST", "/_flush", K::kIndices, "indices:admin/flush", kMaintenance, S::kNone},
      {"GET,POST", "/{index}/_flush", K::kIndices, "indices:admin/flush", kMaintenance, S::kPath},
      {"GET", "/_stats", K::kIndices, "indices:monitor/stats", kIndexMonitor, S::kNone},
      {"GET", "/{index}/_stats", K::kIndices, "indices:monitor/stats", kIndexMonitor, S::kPath},
      {"GET,POST", "/_search", K::kIndices, "indices:data/read/search", kRead, S::kNone},
      {"GET,POST", "/{index}/_search", K::kIndices, "indices:data/read/search", kRead, S::kPath},
      {"POST", "/{index}/_search/image", K::kIndices, "indices:data/read/search", kRead, S::kPath},
      {"GET", "/{index}/_image/{id}", K::kIndices, "indices:data/read/get", kRead, S::kPath},
      // A node's copy counters and load for another node's _stats / _cat answers.
      {"GET", "/_internal/node/_report", K::kCluster, "cluster:monitor/nodes/stats",
       kClusterMonitor},
      {"POST", "/_internal/shards/{index}/_search", K::kIndices, "indices:data/read/search",
       kRead, S::kShardPath},
      {"POST", "/_internal/shards/{index}/_count", K::kIndices, "indices:data/read/search", kRead,
       S::kShardPath},
      {"POST", "/_internal/shards/{index}/_get", K::kIndices, "indices:data/read/get", kRead,
       S::kShardPath},
      {"POST", "/_internal/shards/{index}/_vector", K::kIndices, "indices:data/read/get", kRead,
       S::kShardPath},
      {"POST", "/_internal/shards/{index}/_neural_target", K::kIndices, "indices:data/read/search",
       kRead, S::kShardPath},
      // A coordinator fetching what a copy decided for the writes it published: any write
      // privilege on the user's index (the caller was let write there).
      {"GET", "/_internal/shards/{index}/_write_results", K::kIndices, "indices:data/write/bulk",
       kBulk, S::kShardPath},
      // The near-duplicate report reads ids and vectors of the index, like a search.
      {"POST", "/{index}/_near_duplicates", K::kIndices, "indices:data/read/near_duplicates", kRead,
       S::kPath},
      {"GET,POST", "/_search/scroll", K::kAnyIndex, "indices:data/read/scroll", kRead},
      {"GET,POST", "/_search/scroll/{id}", K::kAnyIndex, "indices:data/read/scroll", kRead},
      {"DELETE", "/_search/scroll", K::kAnyIndex, "indices:data/read/scroll/clear", kRead},
      {"DELETE", "/_search/scroll/{id}", K::kAnyIndex, "indices:data/read/scroll/clear", kRead},
      {"PUT,POST", "/{index}/_doc/{id}", K::kIndices, "indices:data/write/index", kWriteIndex,
       S::kPath},
      {"POST", "/{index}/_doc", K::kIndices, "indices:data/write/index", kWriteIndex, S::kPath},
      {"PUT,POST", "/{index}/_create/{id}", K::kIndices, "indices:data/write/index", kCreateDoc,
       S::kPath},
      {"GET", "/{index}/_doc/{id}", K::kIndices, "indices:data/read/get", kRead, S::kPath},
      {"DELETE", "/{index}/_doc/{id}", K::kIndices, "indices:data/write/delete", kDeleteDoc,
       S::kPath},
      {"POST", "/{index}/_update/{id}", K::kIndices, "indices:data/write/update", kWriteIndex,
       S::kPath},
      {"GET,POST", "/_mget", K::kIndices, "indices:data/read/mget", kRead, S::kMgetBody},
      {"GET,POST", "/{index}/_mget", K::kIndices, "indices:data/read/mget", kRead, S::kMgetBody},
      {"POST,PUT", "/_bulk", K::kAnyIndex, "indices:data/write/bulk", kBulk, S::kBulkBody},
      {"POST,PUT", "/{index}/_bulk", K::kAnyIndex, "indices:data/write/bulk", kBulk, S::kBulkBody},
  };
  return kRules;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

bool MethodListed(std::string_view methods, std::string_view method) {
  if (method == "HEAD") method = "GET";
  for (std::string_view m : Split(methods, ',')) {
    if (m == method) return true;
  }
  return false;
}

// Matches like the Router: equal length, literals equal, parameters non-empty; among matches
// the first differing segment being a literal wins. Returns the number of leading literal
// segments compared as a specificity vector.
bool Matches(const std::vector<std::string_view>& pattern,
             const std::vector<std::string>& segments) {
  if (pattern.size() != segments.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    bool param = pattern[i].size() >= 2 && pattern[i].front() == '{';
    if (param ? segments[i].empty() : pattern[i] != segments[i]) return false;
  }
  return true;
}

bool MoreSpecific(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    bool a_param = a[i].front() == '{';
    bool b_param = b[i].front() == '{';
    if (a_param != b_param) return !a_param;
  }
  return false;
}

std::vector<std::string_view> PatternSegments(std::string_view pattern) {
  std::vector<std::string_view> out;
  for (std::string_view s : Split(pattern, '/')) {
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

void AddExpressions(std::string_view list, std::vector<std::string>* out) {
  for (std::string_view name : Split(list, ',')) {
    if (name.empty() || name == "_all") name = "*";
    out->emplace_back(name);
  }
}

void Dedupe(std::vector<std::string>* names) {
  std::sort(names->begin(), names->end());
  names->erase(std::unique(names->begin(), names->end()), names->end());
}

}  // namespace

std::vector<std::string> BulkIndices(std::string_view body, std::string_view path_index) {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  bool expect_source = false;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (expect_source) {
      expect_source = false;
      continue;
    }
    simdjson::dom::element doc;
    simdjson::dom::object action;
    if (parser.parse(line.data(), line.size()).get(doc) != simdjson::SUCCESS ||
        doc.get(action) != simdjson::SUCCESS || action.size() != 1) {
      out.emplace_back("*");  // the engine will reject it; we cannot tell where it would go
      continue;
    }
    auto field = *action.begin();
    expect_source = field.key != "delete";
    std::string_view index;
    if (field.value["_index"].get(index) == simdjson::SUCCESS) {
      AddExpressions(index, &out);
    } else {
      AddExpressions(path_index, &out);
    }
  }
  if (out.empty()) AddExpressions(path_index, &out);
  Dedupe(&out);
  return out;
}

std::vector<std::string> MgetIndices(std::string_view body, std::string_view path_index) {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array docs;
  if (!body.empty() && parser.parse(body.data(), body.size()).get(doc) == simdjson::SUCCESS &&
      doc["docs"].get(docs) == simdjson::SUCCESS) {
    for (simdjson::dom::element item : docs) {
      std::string_view index;
      if (item["_index"].get(index) == simdjson::SUCCESS) {
        AddExpressions(index, &out);
      } else {
        AddExpressions(path_index, &out);
      }
    }
  }
  if (out.empty()) AddExpressions(path_index, &out);
  Dedupe(&out);
  return out;
}

RequiredAccess RequiredAccessFor(std::string_view method, const std::vector<std::string>& segments,
                                 std::string_view body) {
  RequiredAccess access;
  if (!segments.empty() && segments[0] == "_security") {
    access.kind = AccessKind::kSecurityApi;
    access.action = "cluster:admin/xpack/security";
    return access;
  }
  const RouteRule* best = nullptr;
  std::vector<std::string_view> best_pattern;
  for (const RouteRule& rule : Rules()) {
    if (!MethodListed(rule.methods, method)) continue;
    std::vector<std::string_view> pattern = PatternSegments(rule.pattern);
    if (!Matches(pattern, segments)) continue;
    if (best == nullptr || MoreSpecific(pattern, best_pattern)) {
      best = &rule;
      best_pattern = std::move(pattern);
    }
  }
  if (best == nullptr) {
    access.kind = AccessKind::kCluster;
    access.action = "cluster:admin/unmapped";
    access.granted_by = {"all"};
    return access;
  }
  access.kind = best->kind;
  access.action = std::string(best->action);
  access.granted_by = best->granted_by;
  if (access.kind != AccessKind::kIndices && best->source != IndexSource::kBulkBody) return access;
  std::string_view path_index;
  for (size_t i = 0; i < best_pattern.size(); ++i) {
    if (best_pattern[i] == "{index}") path_index = segments[i];
  }
  switch (best->source) {
    case IndexSource::kBulkBody:
      access.indices = BulkIndices(body, path_index);
      break;
    case IndexSource::kMgetBody:
      access.indices = MgetIndices(body, path_index);
      break;
    case IndexSource::kShardPath:
      access.indices = {std::string(path_index.substr(0, path_index.find('~')))};
      break;
    case IndexSource::kPath:
    case IndexSource::kNone:
      AddExpressions(path_index, &access.indices);
      break;
  }
  return access;
}

RequiredAccess BulkItemAccess(std::string_view action, std::string_view index) {
  RequiredAccess access;
  access.kind = AccessKind::kIndices;
  access.indices = {std::string(index)};
  if (action == "delete") {
    access.action = "indices:data/write/delete";
    access.granted_by = kDeleteDoc;
  } else if (action == "create") {
    access.action = "indices:data/write/index";
    access.granted_by = kCreateDoc;
  } else if (action == "update") {
    access.action = "indices:data/write/update";
    access.granted_by = kWriteIndex;
  } else {
    access.action = "indices:data/write/index";
    access.granted_by = kWriteIndex;
  }
  return access;
}

RequiredAccess IndexReadAccess(std::string_view index) {
  RequiredAccess access;
  access.kind = AccessKind::kIndices;
  access.indices = {std::string(index)};
  access.action = "indices:data/read/get";
  access.granted_by = kRead;
  return access;
}

}  // namespace lookalike::security
