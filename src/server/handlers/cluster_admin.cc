// Cluster-wide index administration and _cat views of a cluster node (issue 9): _refresh,
// _stats, _cat/indices, _cat/shards, _cat/nodes, _cat/health, _cat/count; see cluster_mode.h.
//
// Where the numbers come from: the shard map and the applied sequences are the watched etcd
// state (every node has them); document counts and sizes are each copy's own, asked from every
// live node in one GET /_internal/node/_report (cluster/node_report.h).
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cluster/cluster_state.h"
#include "cluster/shard_log.h"
#include "server/error_mapping.h"
#include "server/es/index_codec.h"
#include "server/handlers/cat_table.h"
#include "server/handlers/cluster_mode.h"
#include "server/handlers/nodes.h"
#include "server/metrics/process_metrics.h"
#include "server/metrics/system_stats.h"

namespace lookalike::server {
namespace {

// How long _refresh waits for the copies to apply their streams before answering with the
// copies that did not as failed.
constexpr std::chrono::seconds kRefreshWait{10};
constexpr std::chrono::seconds kReportTimeout{5};

std::string_view StateName(CopyState state) {
  switch (state) {
    case CopyState::kStarted: return "STARTED";
    case CopyState::kInitializing: return "INITIALIZING";
    case CopyState::kUnassigned: return "UNASSIGNED";
  }
  return "UNASSIGNED";
}

// The copies of one shard: assigned ones (primary first), then one UNASSIGNED row per copy
// the index wants but the map does not hold.
ShardLayout LayoutOfShard(const cluster::ClusterSnapshot& snap,
                          const cluster::IndexMetadata& meta, int shard) {
  ShardLayout out;
  out.shard = shard;
  const cluster::ShardState* state = snap.FindShard(meta.uuid, shard);
  std::vector<std::string> assigned;
  if (state != nullptr) assigned = state->assignment.Copies();
  for (const std::string& node : assigned) {
    CopyLayout copy;
    copy.primary = state->assignment.primary == node;
    auto live = snap.nodes.find(node);
    if (live == snap.nodes.end()) {
      copy.state = CopyState::kUnassigned;  // its node is gone; the leader will replace it
    } else {
      copy.node = node;
      copy.http = live->second.http;
      auto applied = state->applied.find(node);
      copy.state = applied == state->applied.end() ? CopyState::kInitializing
                                                   : CopyState::kStarted;
      if (applied != state->applied.end()) copy.applied = applied->second;
    }
    out.copies.push_back(std::move(copy));
  }
  bool has_primary = state != nullptr && !state->assignment.primary.empty();
  for (size_t i = assigned.size(); i < static_cast<size_t>(meta.number_of_replicas) + 1; ++i) {
    CopyLayout missing;
    missing.primary = !has_primary && i == 0;
    missing.state = CopyState::kUnassigned;
    out.copies.push_back(std::move(missing));
  }
  return out;
}

std::string HealthOf(const IndexLayout& index) {
  bool yellow = false;
  for (const ShardLayout& shard : index.shards) {
    int started = 0;
    for (const CopyLayout& c : shard.copies) started += c.state == CopyState::kStarted;
    if (started == 0) return "red";
    yellow |= started < index.meta.number_of_replicas + 1;
  }
  return yellow ? "yellow" : "green";
}

cluster::NodeReport LocalReport(const RestContext& ctx) {
  cluster::NodeReport report;
  report.node = ctx.cluster->node_name;
  OsStats os = ReadOsStats();
  report.resident_bytes = static_cast<int64_t>(ReadProcessStats().resident_bytes);
  report.mem_total_bytes = static_cast<int64_t>(os.mem_total_bytes);
  report.mem_free_bytes = static_cast<int64_t>(os.mem_free_bytes);
  for (int i = 0; i < 3; ++i) report.load_average[i] = static_cast<float>(os.load_average[i]);
  report.state_revision = ctx.cluster->state->snapshot()->revision;
  for (const IndexInfo& info : ctx.engine->ListIndices()) {
    if (info.name.find('~') == std::string::npos) continue;  // only shard copies
    cluster::CopyStatistics copy;
    copy.local_index = info.name;
    copy.docs_count = info.docs_count;
    copy.docs_deleted = info.docs_deleted;
    copy.store_size_bytes = info.store_size_bytes;
    auto stats = ctx.engine->Stats(info.name);
    if (stats.ok()) {
      for (const IndexStatistics& s : *stats) copy.knn_memory_bytes += s.knn_memory_bytes;
    }
    report.copies.push_back(std::move(copy));
  }
  return report;
}

// Asks every live node for its report and points each started copy at its counters.
void AttachReports(const RestContext& ctx, const RestRequest& req, ClusterLayout* layout) {
  std::vector<cluster::ReportTarget> targets;
  for (const auto& [name, info] : layout->snap->nodes) targets.push_back({name, info.http});
  cluster::ReportOptions options;
  options.timeout = kReportTimeout;
  options.authorization = std::string(req.http.Header("authorization"));
  layout->reports = cluster::CollectNodeReports(
      targets, ctx.cluster->node_name, [&ctx] { return LocalReport(ctx); }, options);
  for (IndexLayout& index : layout->indices) {
    cluster::IndexRoutes names;
    names.index = index.meta.name;
    names.uuid = index.meta.uuid;
    for (ShardLayout& shard : index.shards) {
      std::string local = cluster::ShardIndexName(names, shard.shard);
      for (CopyLayout& copy : shard.copies) {
        auto report = layout->reports.find(copy.node);
        if (copy.node.empty() || report == layout->reports.end() || !report->second.ok()) continue;
        for (const cluster::CopyStatistics& s : report->second->copies) {
          if (s.local_index == local) copy.stats = &s;
        }
      }
    }
  }
}

es::StatsCounters CountersOf(const cluster::CopyStatistics& s) {
  return {s.docs_count, s.docs_deleted, s.store_size_bytes, s.knn_memory_bytes};
}

// The host part of "host:port".
std::string HostOf(std::string_view http) {
  size_t colon = http.rfind(':');
  return std::string(http.substr(0, colon));
}

// "HH:MM:SS" (UTC) of an epoch second, as the _cat APIs print the time.
std::string ClockOf(int64_t epoch_seconds) {
  char clock[16];
  time_t seconds = static_cast<time_t>(epoch_seconds);
  tm utc{};
  gmtime_r(&seconds, &utc);
  std::snprintf(clock, sizeof(clock), "%02d:%02d:%02d", utc.tm_hour, utc.tm_min, utc.tm_sec);
  return clock;
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string PortOf(std::string_view http) {
  size_t colon = http.rfind(':');
  return colon == std::string_view::npos ? "-" : std::string(http.substr(colon + 1));
}

}  // namespace

Status BuildClusterLayout(const RestContext& ctx, const RestRequest& req,
                          std::string_view expression, bool with_reports, ClusterLayout* out) {
  out->snap = ctx.cluster->state->snapshot();
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<cluster::IndexRoutes> resolved,
                             ctx.cluster->state->Resolve(expression));
  for (const cluster::IndexRoutes& routes : resolved) {
    auto meta = out->snap->indices.find(routes.index);
    if (meta == out->snap->indices.end()) continue;  // deleted between the two reads
    IndexLayout index;
    index.meta = meta->second;
    for (int shard = 0; shard < index.meta.number_of_shards; ++shard) {
      index.shards.push_back(LayoutOfShard(*out->snap, index.meta, shard));
    }
    index.health = HealthOf(index);
    out->indices.push_back(std::move(index));
  }
  if (with_reports) AttachReports(ctx, req, out);
  return Status::OK();
}

// Elasticsearch's refresh makes every operation acknowledged before it visible to searches.
// Here an acknowledged write is a batch in its shard's stream, and a copy makes what it applies
// searchable before it publishes the applied sequence; so the refresh reads each stream's last
// sequence and waits until every started copy has applied it. Asking the copies to refresh
// their engines instead would not do: a copy cannot make visible what it has not yet consumed.
void ClusterRefresh(RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  ClusterLayout layout;
  if (Status st = BuildClusterLayout(ctx, req, IndexParam(req), false, &layout); !st.ok()) {
    return ReplyError(st, resp);
  }
  struct Target {
    std::string uuid;
    int shard;
    uint64_t last;
  };
  std::vector<Target> targets;
  ShardsSummary shards{0, 0, 0};
  for (const IndexLayout& index : layout.indices) {
    for (const ShardLayout& shard : index.shards) {
      auto last = ctx.cluster->log->LastSequence(index.meta.uuid, shard.shard);
      if (!last.ok()) return ReplyError(last.status(), resp);
      targets.push_back({index.meta.uuid, shard.shard, *last});
      shards.total += static_cast<int64_t>(shard.copies.size());
    }
  }
  // A copy counts once it is started on a live node and has applied its stream's last batch.
  auto count = [&](const cluster::ClusterSnapshot& snap, int64_t* done, int64_t* behind) {
    *done = *behind = 0;
    for (const Target& t : targets) {
      const cluster::ShardState* state = snap.FindShard(t.uuid, t.shard);
      if (state == nullptr) continue;
      for (const auto& [node, applied] : state->applied) {
        if (!snap.nodes.count(node) || !state->assignment.Holds(node)) continue;
        ++(applied >= t.last ? *done : *behind);
      }
    }
  };
  // etcd gone: applied sequences cannot change in the snapshot, so waiting would be in vain.
  ctx.cluster->state->WaitUntil(
      [&](const cluster::ClusterSnapshot& snap) {
        int64_t done = 0, behind = 0;
        count(snap, &done, &behind);
        return behind == 0 || !snap.etcd_reachable;
      },
      kRefreshWait);
  count(*ctx.cluster->state->snapshot(), &shards.successful, &shards.failed);
  Reply(es::RenderShards(shards), resp);
}

void ClusterStats(RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  ClusterLayout layout;
  if (Status st = BuildClusterLayout(ctx, req, IndexParam(req), true, &layout); !st.ok()) {
    return ReplyError(st, resp);
  }
  std::vector<es::ClusterIndexStats> indices;
  ShardsSummary shards{0, 0, 0};
  for (const IndexLayout& index : layout.indices) {
    es::ClusterIndexStats stats;
    stats.name = index.meta.name;
    stats.uuid = index.meta.uuid;
    stats.health = index.health;
    for (const ShardLayout& shard : index.shards) {
      for (const CopyLayout& copy : shard.copies) {
        ++shards.total;
        if (copy.state != CopyState::kStarted) continue;
        if (copy.stats == nullptr) {
          ++shards.failed;  // its node did not report
          continue;
        }
        ++shards.successful;
        stats.total.Add(CountersOf(*copy.stats));
        if (copy.primary) stats.primaries.Add(CountersOf(*copy.stats));
      }
    }
    indices.push_back(std::move(stats));
  }
  Reply(es::RenderClusterStats(indices, shards), resp);
}

void ClusterCatIndices(RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  ClusterLayout layout;
  if (Status st = BuildClusterLayout(ctx, req, IndexParam(req), true, &layout); !st.ok()) {
    return ReplyError(st, resp);
  }
  CatTable t;
  t.columns = {"health", "status", "index", "uuid", "pri", "rep", "docs.count", "docs.deleted",
               "store.size", "pri.store.size"};
  for (const IndexLayout& index : layout.indices) {
    es::StatsCounters primaries, total;
    for (const ShardLayout& shard : index.shards) {
      for (const CopyLayout& copy : shard.copies) {
        if (copy.stats == nullptr || copy.state != CopyState::kStarted) continue;
        total.Add(CountersOf(*copy.stats));
        if (copy.primary) primaries.Add(CountersOf(*copy.stats));
      }
    }
    t.rows.push_back({index.health, "open", index.meta.name, index.meta.uuid,
                      std::to_string(index.meta.number_of_shards),
                      std::to_string(index.meta.number_of_replicas),
                      std::to_string(primaries.docs_count), std::to_string(primaries.docs_deleted),
                      CatBytes(total.store_size_bytes, req),
                      CatBytes(primaries.store_size_bytes, req)});
  }
  ReplyCatTable(t, req, resp);
}

void ClusterCatShards(RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  ClusterLayout layout;
  if (Status st = BuildClusterLayout(ctx, req, IndexParam(req), true, &layout); !st.ok()) {
    return ReplyError(st, resp);
  }
  CatTable t;
  t.columns = {"index", "shard", "prirep", "state", "docs", "store", "ip", "node"};
  for (const IndexLayout& index : layout.indices) {
    for (const ShardLayout& shard : index.shards) {
      for (const CopyLayout& copy : shard.copies) {
        bool counted = copy.stats != nullptr && copy.state == CopyState::kStarted;
        t.rows.push_back({index.meta.name, std::to_string(shard.shard), copy.primary ? "p" : "r",
                          std::string(StateName(copy.state)),
                          counted ? std::to_string(copy.stats->docs_count) : "",
                          counted ? CatBytes(copy.stats->store_size_bytes, req) : "",
                          copy.node.empty() ? "" : HostOf(copy.http), copy.node});
      }
    }
  }
  ReplyCatTable(t, req, resp);
}

void ClusterCatNodes(const RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  ClusterLayout layout;
  layout.snap = ctx.cluster->state->snapshot();
  AttachReports(ctx, req, &layout);
  auto percent = [](int64_t part, int64_t whole) {
    return whole > 0 ? std::to_string((100 * part + whole / 2) / whole) : std::string("-");
  };
  CatTable t;
  // Without a JVM heap, heap.percent is the process's resident memory against the machine's.
  t.columns = {"ip", "heap.percent", "ram.percent", "cpu", "load_1m", "load_5m", "load_15m",
               "node.role", "master", "name", "id", "port", "http_address"};
  for (const auto& [name, info] : layout.snap->nodes) {
    std::vector<std::string> row = {HostOf(info.http), "-", "-", "-", "-", "-", "-"};
    auto report = layout.reports.find(name);
    if (report != layout.reports.end() && report->second.ok()) {
      const cluster::NodeReport& r = *report->second;
      row[1] = percent(r.resident_bytes, r.mem_total_bytes);
      row[2] = percent(r.mem_total_bytes - r.mem_free_bytes, r.mem_total_bytes);
      for (int i = 0; i < 3; ++i) {
        char load[16];
        std::snprintf(load, sizeof(load), "%.2f", r.load_average[i]);
        row[4 + i] = load;
      }
    }
    // The leader (it assigns shards) plays Elasticsearch's elected master.
    std::string id = NodeIdFor(ctx.cluster_uuid, name, ctx.cluster_name);
    row.insert(row.end(), {"dim", layout.snap->leader == name ? "*" : "-", name, id.substr(0, 4),
                           PortOf(info.http), info.http});
    t.rows.push_back(std::move(row));
  }
  ReplyCatTable(t, req, resp);
}

void ClusterCatHealth(const RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  ClusterHealthReport h = ClusterHealthOf(ctx);
  int64_t now = NowSeconds();
  char percent[16];
  std::snprintf(percent, sizeof(percent), "%.1f%%", h.active_shards_percent);
  CatTable t;
  t.columns = {"epoch", "timestamp", "cluster", "status", "node.total", "node.data", "shards",
               "pri", "relo", "init", "unassign", "pending_tasks", "max_task_wait_time",
               "active_shards_percent"};
  std::string nodes = std::to_string(h.number_of_nodes);
  t.rows.push_back({std::to_string(now), ClockOf(now), ctx.cluster_name, h.status, nodes, nodes,
                    std::to_string(h.active_shards), std::to_string(h.active_primary_shards), "0",
                    "0", std::to_string(h.unassigned_shards), "0", "-", percent});
  ReplyCatTable(t, req, resp);
}

void ClusterCatCount(const RestContext& ctx, const RestRequest& req, HttpResponse* resp) {
  auto call = ScatterCallOf(req);
  if (!call.ok()) return ReplyError(call.status(), resp);
  std::string_view index = IndexParam(req);
  std::vector<ShardFailure> failures;
  auto count = ctx.coordinator->Count(index.empty() ? std::string_view("_all") : index,
                                      CountRequest{}, *call, &failures);
  SetFailureTypes(&failures);
  if (!count.ok()) return SetShardsFailedResponse(count.status(), failures, resp);
  int64_t now = NowSeconds();
  CatTable t;
  t.columns = {"epoch", "timestamp", "count"};
  t.rows.push_back({std::to_string(now), ClockOf(now), std::to_string(count->count)});
  ReplyCatTable(t, req, resp);
}

bool WaitForEveryNodeToSee(const RestContext& ctx, const RestRequest& req, int64_t revision,
                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  cluster::ReportOptions options;
  options.timeout = kReportTimeout;
  options.authorization = std::string(req.http.Header("authorization"));
  while (true) {
    auto snap = ctx.cluster->state->snapshot();
    bool seen = snap->revision >= revision;
    std::vector<cluster::ReportTarget> others;
    for (const auto& [name, info] : snap->nodes) {
      if (name != ctx.cluster->node_name) others.push_back({name, info.http});
    }
    if (seen && !others.empty()) {
      // This node is not among the targets, so its report is never made here.
      auto reports = cluster::CollectNodeReports(
          others, ctx.cluster->node_name, [] { return cluster::NodeReport{}; }, options);
      for (const auto& [name, report] : reports) {
        seen = seen && report.ok() && report->state_revision >= revision;
      }
    }
    if (seen) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void RegisterNodeReportHandler(Router& router, RestContext& ctx) {
  router.Add("GET", std::string(cluster::kNodeReportPath),
             [&ctx](const RestRequest&, HttpResponse* resp) {
               if (ctx.cluster == nullptr) {
                 return ReplyError(Status::NotFound("not a cluster node")
                                       .WithKind(ErrorKind::kResourceNotFound),
                                   resp);
               }
               resp->content_type = "application/octet-stream";
               resp->body = cluster::EncodeNodeReport(LocalReport(ctx));
             });
}

}  // namespace lookalike::server
