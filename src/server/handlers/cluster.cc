// Cluster-level endpoints: GET / (node info, what clients use to recognise the server),
// /_cluster/health, /_cluster/settings, /_cat/indices, /_cat/shards (cluster mode: the cluster's,
// cluster_admin.cc). (The search page under /_ui/ is
// registered by the image API, src/server/image.)
#include <cinttypes>
#include <cstdio>

#include "common/json_writer.h"
#include "server/es/index_codec.h"
#include "server/handlers/cat_table.h"
#include "server/handlers/cluster_mode.h"
#include "server/handlers/rest_common.h"

namespace lookalike::server {

namespace {

// Version 7.10.2 is the last Elasticsearch release OpenSearch forked from: python
// elasticsearch 7.x accepts it when tagline and build_flavor match (its product check for
// 7.0-7.13), and the OpenSearch JS client accepts any 7.x.
std::string InfoBody(const RestContext& ctx) {
  JsonWriter w;
  w.BeginObject();
  w.Key("name").String(ctx.node_name);
  w.Key("cluster_name").String(ctx.cluster_name);
  w.Key("cluster_uuid").String(ctx.cluster_uuid);
  w.Key("version").BeginObject();
  w.Key("number").String("7.10.2");
  w.Key("build_flavor").String("default");
  w.Key("build_type").String("tar");
  w.Key("build_hash").String("lookalike-0.1.0");
  w.Key("build_date").String("2026-01-01T00:00:00.000Z");
  w.Key("build_snapshot").Bool(false);
  w.Key("lucene_version").String("8.7.0");
  w.Key("minimum_wire_compatibility_version").String("6.8.0");
  w.Key("minimum_index_compatibility_version").String("6.0.0-beta1");
  w.EndObject();
  w.Key("tagline").String("You Know, for Search");
  w.EndObject();
  return w.Take();
}

bool WildcardMatch(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern.front() == '*') {
    for (size_t i = 0; i <= text.size(); ++i) {
      if (WildcardMatch(pattern.substr(1), text.substr(i))) return true;
    }
    return false;
  }
  return !text.empty() && pattern.front() == text.front() &&
         WildcardMatch(pattern.substr(1), text.substr(1));
}

bool IndexSelected(std::string_view selector, std::string_view name) {
  if (selector.empty() || selector == "_all") return true;
  while (!selector.empty()) {
    size_t comma = selector.find(',');
    if (WildcardMatch(selector.substr(0, comma), name)) return true;
    if (comma == std::string_view::npos) break;
    selector.remove_prefix(comma + 1);
  }
  return false;
}

// One row per index: a single node holds one started primary of each.
void CatShards(const RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  CatTable t;
  t.columns = {"index", "shard", "prirep", "state", "docs", "store", "ip", "node"};
  for (const IndexInfo& info : ctx.engine->ListIndices()) {
    if (!IndexSelected(IndexParam(req), info.name)) continue;
    bool failed = !info.failure.empty();
    t.rows.push_back({info.name, "0", "p", failed ? "UNASSIGNED" : "STARTED",
                      std::to_string(info.docs_count), CatBytes(info.store_size_bytes, req),
                      "127.0.0.1", ctx.node_name});
  }
  ReplyCatTable(t, req, resp);
}

void CatIndices(const RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  std::vector<IndexInfo> all = ctx.engine->ListIndices();
  std::vector<IndexInfo> rows;
  std::string_view selector = IndexParam(req);
  for (auto& info : all) {
    if (IndexSelected(selector, info.name)) rows.push_back(std::move(info));
  }
  if (!selector.empty() && selector.find('*') == std::string_view::npos && rows.empty() &&
      selector != "_all") {
    return ReplyError(Status::NotFound("no such index [" + std::string(selector) + "]")
                          .WithKind(ErrorKind::kIndexNotFound),
                      resp);
  }
  auto size_text = [&](int64_t b) { return CatBytes(b, req); };
  const std::string* format = req.Param("format");
  if (format != nullptr && *format == "json") {
    JsonWriter w;
    w.BeginArray();
    for (const IndexInfo& info : rows) {
      w.BeginObject();
      w.Key("health").String(info.health).Key("status").String(info.status);
      w.Key("index").String(info.name).Key("uuid").String(info.uuid);
      w.Key("pri").String(std::to_string(info.number_of_shards));
      w.Key("rep").String(std::to_string(info.number_of_replicas));
      w.Key("docs.count").String(std::to_string(info.docs_count));
      w.Key("docs.deleted").String(std::to_string(info.docs_deleted));
      w.Key("store.size").String(size_text(info.store_size_bytes));
      w.Key("pri.store.size").String(size_text(info.store_size_bytes));
      if (!info.failure.empty()) w.Key("failure").String(info.failure);  // health red
      w.EndObject();
    }
    w.EndArray();
    resp->body = w.Take();
    return;
  }
  // Text table: columns padded to their widest cell, as the _cat APIs print them.
  std::vector<std::vector<std::string>> table;
  bool verbose = req.Param("v") != nullptr;
  bool any_failed = false;
  for (const IndexInfo& info : rows) any_failed |= !info.failure.empty();
  if (verbose) {
    table.push_back({"health", "status", "index", "uuid", "pri", "rep", "docs.count",
                     "docs.deleted", "store.size", "pri.store.size"});
    // The column exists only when an index failed to load, so usual output is unchanged.
    if (any_failed) table.back().push_back("failure");
  }
  for (const IndexInfo& info : rows) {
    table.push_back({info.health, info.status, info.name, info.uuid,
                     std::to_string(info.number_of_shards),
                     std::to_string(info.number_of_replicas), std::to_string(info.docs_count),
                     std::to_string(info.docs_deleted), size_text(info.store_size_bytes),
                     size_text(info.store_size_bytes)});
    if (!info.failure.empty()) table.back().push_back(info.failure);
  }
  resp->content_type = "text/plain; charset=UTF-8";
  resp->body = AlignedCatText(table);
}

}  // namespace

void RegisterClusterHandlers(Router& router, RestContext& ctx) {
  router.Add("GET", "/", [&ctx](const RestRequest&, HttpResponse* resp) {
    resp->body = InfoBody(ctx);
  });
  router.Add("GET", "/_cluster/health", [&ctx](const RestRequest&, HttpResponse* resp) {
    if (ctx.cluster) return Reply(es::RenderClusterHealth(ClusterHealthOf(ctx)), resp);
    resp->body = es::ClusterHealthJson(*ctx.engine);
  });
  router.Add("GET", "/_cluster/health/{index}", [&ctx](const RestRequest&, HttpResponse* resp) {
    if (ctx.cluster) return Reply(es::RenderClusterHealth(ClusterHealthOf(ctx)), resp);
    resp->body = es::ClusterHealthJson(*ctx.engine);
  });
  router.Add("GET", "/_cluster/settings", [&ctx](const RestRequest&, HttpResponse* resp) {
    resp->body = ctx.cluster_settings.ToJson();
  });
  router.Add("PUT", "/_cluster/settings", [&ctx](const RestRequest& req, HttpResponse* resp) {
    Reply(ctx.cluster_settings.Update(req.body(),
                                      [&ctx](const ClusterSettings::Lookup& get) {
                                        return ApplyDiskWatermarks(*ctx.engine, get);
                                      }),
          resp);
  });
  auto cat_indices = [&ctx](const RestRequest& req, HttpResponse* resp) {
    if (ctx.cluster && Coordinated(ctx, IndexParam(req))) return ClusterCatIndices(ctx, req, resp);
    CatIndices(ctx, req, resp);
  };
  router.Add("GET", "/_cat/indices", cat_indices);
  router.Add("GET", "/_cat/indices/{index}", cat_indices);
  auto cat_shards = [&ctx](const RestRequest& req, HttpResponse* resp) {
    if (ctx.cluster && Coordinated(ctx, IndexParam(req))) return ClusterCatShards(ctx, req, resp);
    CatShards(ctx, req, resp);
  };
  router.Add("GET", "/_cat/shards", cat_shards);
  router.Add("GET", "/_cat/shards/{index}", cat_shards);
  RegisterNodeReportHandler(router, ctx);
}

}  // namespace lookalike::server
