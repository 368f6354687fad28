#include "server/handlers/nodes.h"

#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <set>

#include "common/json_writer.h"
#include "server/handlers/cat_table.h"
#include "server/handlers/cluster_mode.h"
#include "server/metrics/process_metrics.h"
#include "server/metrics/system_stats.h"

namespace lookalike::server {
namespace {

const std::set<std::string, std::less<>> kStatsMetrics = {
    "_all", "indices", "os", "process", "thread_pool", "fs", "jvm", "transport", "http",
    "breaker", "script", "discovery", "ingest", "adaptive_selection", "script_cache",
    "indexing_pressure"};
const std::set<std::string, std::less<>> kInfoMetrics = {
    "_all", "settings", "os", "process", "jvm", "thread_pool", "transport", "http", "plugins",
    "ingest", "aggregations", "indices", "_none"};

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The metric list of the request ("" = all); illegal_argument_exception names an unknown one.
Result<std::set<std::string, std::less<>>> Metrics(const RestRequest& req,
                                                   const std::set<std::string, std::less<>>& known) {
  std::set<std::string, std::less<>> out;
  std::string_view text = req.PathParam("metric");
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view m = text.substr(0, comma);
    if (known.count(m) == 0) {
      return Status::InvalidArgument("request [" + req.http.path +
                                     "] contains unrecognized metric: [" + std::string(m) + "]")
          .WithKind(ErrorKind::kInvalidValue);
    }
    out.emplace(m);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  if (out.empty() || out.count("_all")) out = known;
  return out;
}

bool SelectsThisNode(const NodeContext& node, std::string_view selector) {
  if (selector.empty()) return true;
  while (!selector.empty()) {
    size_t comma = selector.find(',');
    std::string_view s = selector.substr(0, comma);
    if (s == "_all" || s == "_local" || s == "_master" || s == "*" ||
        s == NodeId(*node.rest) || s == node.rest->node_name) {
      return true;
    }
    selector = comma == std::string_view::npos ? std::string_view() : selector.substr(comma + 1);
  }
  return false;
}

std::string PublishHost(const NodeContext& node) {
  return node.host == "0.0.0.0" || node.host.empty() ? "127.0.0.1" : node.host;
}

// {"_nodes":{…},"cluster_name":…,"nodes":{ID:{ common fields, then `body` }}}
template <typename Body>
std::string NodesResponse(const NodeContext& node, bool selected, Body body) {
  JsonWriter w;
  w.BeginObject().Key("_nodes").BeginObject();
  w.Key("total").Int(selected ? 1 : 0).Key("successful").Int(selected ? 1 : 0);
  w.Key("failed").Int(0).EndObject();
  w.Key("cluster_name").String(node.rest->cluster_name);
  w.Key("nodes").BeginObject();
  if (selected) {
    std::string transport = PublishHost(node) + ":9300";
    w.Key(NodeId(*node.rest)).BeginObject();
    w.Key("name").String(node.rest->node_name);
    w.Key("transport_address").String(transport);
    w.Key("host").String(PublishHost(node)).Key("ip").String(PublishHost(node));
    w.Key("roles").BeginArray().String("data").String("ingest").String("master").EndArray();
    body(w);
    w.EndObject();
  }
  w.EndObject().EndObject();
  return w.Take();
}

void WriteThreadPoolStats(JsonWriter& w, const NodeContext& node) {
  w.Key("thread_pool").BeginObject();
  for (const WorkerPoolStats& lane : node.lanes ? node.lanes() : std::vector<WorkerPoolStats>()) {
    w.Key(lane.name).BeginObject();
    w.Key("threads").Int(lane.threads).Key("queue").Int(static_cast<int64_t>(lane.queue));
    w.Key("active").Int(lane.active).Key("rejected").Int(static_cast<int64_t>(lane.rejected));
    w.Key("largest").Int(lane.threads);
    w.Key("completed").Int(static_cast<int64_t>(lane.completed));
    w.EndObject();
  }
  w.EndObject();
}

void WriteIndicesStats(JsonWriter& w, const NodeContext& node) {
  int64_t docs = 0, deleted = 0, bytes = 0;
  for (const IndexInfo& info : node.rest->engine->ListIndices()) {
    docs += info.docs_count;
    deleted += info.docs_deleted;
    bytes += info.store_size_bytes;
  }
  w.Key("indices").BeginObject();
  w.Key("docs").BeginObject().Key("count").Int(docs).Key("deleted").Int(deleted).EndObject();
  w.Key("store").BeginObject().Key("size_in_bytes").Int(bytes);
  w.Key("reserved_in_bytes").Int(0).EndObject();
  w.EndObject();
}

void WriteOsStats(JsonWriter& w, const OsStats& os, int cpu_percent) {
  int64_t total = static_cast<int64_t>(os.mem_total_bytes);
  int64_t free = static_cast<int64_t>(os.mem_free_bytes);
  auto percent = [&](int64_t part) { return total > 0 ? (100 * part + total / 2) / total : 0; };
  w.Key("os").BeginObject().Key("timestamp").Int(NowMillis());
  w.Key("cpu").BeginObject().Key("percent").Int(cpu_percent);
  w.Key("load_average").BeginObject().Key("1m").Double(os.load_average[0]);
  w.Key("5m").Double(os.load_average[1]).Key("15m").Double(os.load_average[2]).EndObject();
  w.EndObject();
  w.Key("mem").BeginObject().Key("total_in_bytes").Int(total).Key("free_in_bytes").Int(free);
  w.Key("used_in_bytes").Int(total - free).Key("free_percent").Int(percent(free));
  w.Key("used_percent").Int(percent(total - free)).EndObject();
  w.EndObject();
}

void WriteProcessStats(JsonWriter& w, const ProcessStats& p, int cpu_percent) {
  w.Key("process").BeginObject().Key("timestamp").Int(NowMillis());
  w.Key("open_file_descriptors").Int(static_cast<int64_t>(p.open_fds));
  w.Key("max_file_descriptors").Int(static_cast<int64_t>(p.max_fds));
  w.Key("cpu").BeginObject().Key("percent").Int(cpu_percent);
  w.Key("total_in_millis").Int(static_cast<int64_t>(p.cpu_seconds * 1000)).EndObject();
  w.Key("mem").BeginObject().Key("total_virtual_in_bytes").Int(static_cast<int64_t>(p.virtual_bytes));
  w.Key("resident_in_bytes").Int(static_cast<int64_t>(p.resident_bytes)).EndObject();
  w.EndObject();
}

void WriteFsStats(JsonWriter& w, const FsStats& fs) {
  auto sizes = [&](JsonWriter& o) {
    o.Key("total_in_bytes").Int(static_cast<int64_t>(fs.total_bytes));
    o.Key("free_in_bytes").Int(static_cast<int64_t>(fs.free_bytes));
    o.Key("available_in_bytes").Int(static_cast<int64_t>(fs.available_bytes));
  };
  w.Key("fs").BeginObject().Key("timestamp").Int(NowMillis());
  w.Key("total").BeginObject();
  sizes(w);
  w.EndObject().Key("data").BeginArray().BeginObject().Key("path").String(fs.path);
  sizes(w);
  w.EndObject().EndArray().EndObject();
}

void NodesStats(const NodeContext& node, CpuSampler& cpu, const RestRequest& req,
                HttpResponse* resp) {
  auto metrics = Metrics(req, kStatsMetrics);
  if (!metrics.ok()) return ReplyError(metrics.status(), resp);
  const auto& m = *metrics;
  bool selected = SelectsThisNode(node, req.PathParam("node_id"));
  CpuSampler::Percent percent = cpu.Sample();
  resp->body = NodesResponse(node, selected, [&](JsonWriter& w) {
    w.Key("timestamp").Int(NowMillis());
    if (m.count("indices")) WriteIndicesStats(w, node);
    if (m.count("os")) WriteOsStats(w, ReadOsStats(), percent.os);
    if (m.count("process")) WriteProcessStats(w, ReadProcessStats(), percent.process);
    if (m.count("thread_pool")) WriteThreadPoolStats(w, node);
    if (m.count("fs") && !node.data_dir.empty()) WriteFsStats(w, ReadFsStats(node.data_dir));
  });
}

void WriteNodeInfo(JsonWriter& w, const NodeContext& node,
                   const std::set<std::string, std::less<>>& m) {
  OsStats os = ReadOsStats();
  w.Key("version").String("7.10.2").Key("build_flavor").String("default");
  w.Key("build_type").String("tar").Key("build_hash").String("lookalike-0.1.0");
  if (m.count("os")) {
    w.Key("os").BeginObject().Key("refresh_interval_in_millis").Int(1000);
    w.Key("name").String(os.kernel_name).Key("arch").String(os.machine);
    w.Key("version").String(os.kernel_release);
    w.Key("available_processors").Int(os.cpus).Key("allocated_processors").Int(os.cpus);
    w.EndObject();
  }
  if (m.count("process")) {
    w.Key("process").BeginObject().Key("refresh_interval_in_millis").Int(1000);
    w.Key("id").Int(static_cast<int64_t>(getpid())).Key("mlockall").Bool(false).EndObject();
  }
  if (m.count("thread_pool")) {
    w.Key("thread_pool").BeginObject();
    for (const WorkerPoolStats& lane : node.lanes ? node.lanes() : std::vector<WorkerPoolStats>()) {
      w.Key(lane.name).BeginObject().Key("type").String("fixed").Key("size").Int(lane.threads);
      w.Key("queue_size").Int(lane.queue_capacity == kUnboundedQueue
                                  ? -1 : static_cast<int64_t>(lane.queue_capacity));
      w.EndObject();
    }
    w.EndObject();
  }
  if (m.count("http")) {
    std::string address = PublishHost(node) + ":" + std::to_string(node.port ? node.port() : 0);
    w.Key("http").BeginObject().Key("bound_address").BeginArray().String(address).EndArray();
    w.Key("publish_address").String(address);
    w.Key("max_content_length_in_bytes").Int(static_cast<int64_t>(node.max_content_length));
    w.EndObject();
  }
}

void NodesInfo(const NodeContext& node, const RestRequest& req, HttpResponse* resp) {
  auto metrics = Metrics(req, kInfoMetrics);
  if (!metrics.ok()) return ReplyError(metrics.status(), resp);
  bool selected = SelectsThisNode(node, req.PathParam("node_id"));
  resp->body = NodesResponse(node, selected,
                             [&](JsonWriter& w) { WriteNodeInfo(w, node, *metrics); });
}

std::string ClockText(int64_t millis) {
  time_t seconds = static_cast<time_t>(millis / 1000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%02d:%02d:%02d", utc.tm_hour, utc.tm_min, utc.tm_sec);
  return buf;
}

void CatHealth(const NodeContext& node, const RestRequest& req, HttpResponse* resp) {
  if (node.rest->cluster != nullptr) return ClusterCatHealth(*node.rest, req, resp);
  int64_t now = NowMillis();
  std::vector<IndexInfo> indices = node.rest->engine->ListIndices();
  size_t red = 0;
  for (const IndexInfo& i : indices) red += i.health == "red";
  std::string shards = std::to_string(indices.size() - red);
  CatTable t;
  t.columns = {"epoch", "timestamp", "cluster", "status", "node.total", "node.data", "shards",
               "pri", "relo", "init", "unassign", "pending_tasks", "max_task_wait_time",
               "active_shards_percent"};
  std::string percent = indices.empty() ? "100.0%" : [&] {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%.1f%%",
                  100.0 * static_cast<double>(indices.size() - red) / indices.size());
    return std::string(buf);
  }();
  t.rows.push_back({std::to_string(now / 1000), ClockText(now), node.rest->cluster_name,
                    red > 0 ? "red" : "green", "1", "1", shards, shards, "0", "0",
                    std::to_string(red), "0", "-", percent});
  ReplyCatTable(t, req, resp);
}

void CatCount(const NodeContext& node, const RestRequest& req, HttpResponse* resp) {
  if (Coordinated(*node.rest, IndexParam(req))) return ClusterCatCount(*node.rest, req, resp);
  auto count = node.rest->engine->Count(IndexParam(req), CountRequest{});
  if (!count.ok()) return ReplyError(count.status(), resp);
  int64_t n = count->count;
  int64_t now = NowMillis();
  CatTable t;
  t.columns = {"epoch", "timestamp", "count"};
  t.rows.push_back({std::to_string(now / 1000), ClockText(now), std::to_string(n)});
  ReplyCatTable(t, req, resp);
}

void CatNodes(const NodeContext& node, const RestRequest& req, HttpResponse* resp) {
  if (node.rest->cluster != nullptr) return ClusterCatNodes(*node.rest, req, resp);
  OsStats os = ReadOsStats();
  ProcessStats p = ReadProcessStats();
  auto percent = [](uint64_t part, uint64_t whole) {
    return whole > 0 ? std::to_string((100 * part + whole / 2) / whole) : std::string("-");
  };
  char load[3][16];
  for (int i = 0; i < 3; ++i) std::snprintf(load[i], sizeof(load[i]), "%.2f", os.load_average[i]);
  CatTable t;
  // Without a JVM heap, heap.percent is the process's resident memory against the machine's.
  t.columns = {"ip", "heap.percent", "ram.percent", "cpu", "load_1m", "load_5m", "load_15m",
               "node.role", "master", "name", "id", "port", "http_address"};
  std::string http = PublishHost(node) + ":" + std::to_string(node.port ? node.port() : 0);
  t.rows.push_back({PublishHost(node), percent(p.resident_bytes, os.mem_total_bytes),
                    percent(os.mem_total_bytes - os.mem_free_bytes, os.mem_total_bytes), "-",
                    load[0], load[1], load[2], "dim", "*", node.rest->node_name,
                    NodeId(*node.rest).substr(0, 4), "9300", http});
  ReplyCatTable(t, req, resp);
}

}  // namespace

std::string NodeId(const RestContext& ctx) {
  return NodeIdFor(ctx.cluster_uuid, ctx.node_name, ctx.cluster_name);
}

std::string NodeIdFor(std::string_view cluster_uuid, std::string_view node_name,
                      std::string_view cluster_name) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string name(node_name);
  uint64_t a = std::hash<std::string>{}(std::string(cluster_uuid) + "/" + name);
  uint64_t b = std::hash<std::string>{}(name + "#" + std::string(cluster_name));
  std::string id;
  for (int i = 0; i < 22; ++i) {
    uint64_t& src = i < 11 ? a : b;
    id += kAlphabet[src & 63];
    src = (src >> 6) | (src << 58);
  }
  return id;
}

void RegisterNodeHandlers(Router& router, std::shared_ptr<const NodeContext> node) {
  auto cpu = std::make_shared<CpuSampler>();
  auto stats = [node, cpu](const RestRequest& req, HttpResponse* resp) {
    NodesStats(*node, *cpu, req, resp);
  };
  for (const char* path : {"/_nodes/stats", "/_nodes/stats/{metric}", "/_nodes/{node_id}/stats",
                           "/_nodes/{node_id}/stats/{metric}"}) {
    router.Add("GET", path, stats);
  }
  auto info = [node](const RestRequest& req, HttpResponse* resp) { NodesInfo(*node, req, resp); };
  for (const char* path : {"/_nodes", "/_nodes/{node_id}", "/_nodes/{node_id}/{metric}"}) {
    router.Add("GET", path, info);
  }
  router.Add("GET", "/_cat/health",
             [node](const RestRequest& req, HttpResponse* resp) { CatHealth(*node, req, resp); });
  auto count = [node](const RestRequest& req, HttpResponse* resp) { CatCount(*node, req, resp); };
  router.Add("GET", "/_cat/count", count);
  router.Add("GET", "/_cat/count/{index}", count);
  router.Add("GET", "/_cat/nodes",
             [node](const RestRequest& req, HttpResponse* resp) { CatNodes(*node, req, resp); });
}

}  // namespace lookalike::server
