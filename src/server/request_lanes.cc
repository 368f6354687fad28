#include "server/request_lanes.h"

#include <algorithm>
#include <charconv>
#include <string>

#include "server/router.h"

namespace lookalike::server {
namespace {

bool OneOf(std::string_view s, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

// The endpoint of a path: its first segment naming an API. Index names never begin with '_',
// but the expression "_all" can stand where an index name goes ("/_all/_search").
std::string_view Endpoint(const std::vector<std::string>& segments) {
  for (const std::string& s : segments) {
    if (!s.empty() && s.front() == '_' && s != "_all") return s;
  }
  return {};
}

}  // namespace

std::string_view RequestLaneName(RequestLane lane) {
  switch (lane) {
    case RequestLane::kSearch:
      return "search";
    case RequestLane::kWrite:
      return "write";
    case RequestLane::kManagement:
      return "management";
  }
  return "management";
}

RequestLane RequestLaneFor(std::string_view method, std::string_view path) {
  std::vector<std::string> segments = SplitPath(path);
  std::string_view endpoint = Endpoint(segments);
  bool reads = method == "GET" || method == "HEAD";
  // A shard copy answering a coordinator's search, count or get (/_internal/shards/...).
  if (endpoint == "_internal") return RequestLane::kSearch;
  if (endpoint == "_doc") return reads ? RequestLane::kSearch : RequestLane::kWrite;
  if (OneOf(endpoint, {"_search", "_count", "_msearch", "_knn_search", "_mget", "_source",
                       "_near_duplicates"}) ||
      (endpoint == "_image" && reads)) {
    return RequestLane::kSearch;
  }
  if (OneOf(endpoint, {"_bulk", "_create", "_update", "_delete_by_query", "_update_by_query",
                       "_refresh", "_flush", "_forcemerge"})) {
    return RequestLane::kWrite;
  }
  return RequestLane::kManagement;
}

Status ApplyThreadPoolSetting(std::string_view setting, ThreadPoolSettings* settings) {
  auto invalid = [&](std::string_view why) {
    return Status::InvalidArgument("thread pool setting [" + std::string(setting) +
                                   "]: " + std::string(why));
  };
  size_t dot = setting.find('.');
  size_t eq = setting.find('=');
  if (dot == std::string_view::npos || eq == std::string_view::npos || eq < dot) {
    return invalid("expected <lane>.size=N or <lane>.queue_size=N");
  }
  std::string_view lane = setting.substr(0, dot);
  std::string_view key = setting.substr(dot + 1, eq - dot - 1);
  std::string_view text = setting.substr(eq + 1);
  LaneSizeSetting* target = nullptr;
  for (size_t i = 0; i < kRequestLaneCount; ++i) {
    if (lane == RequestLaneName(static_cast<RequestLane>(i))) target = &(*settings)[i];
  }
  if (target == nullptr) return invalid("the lanes are search, write and management");
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return invalid("not an integer");
  if (key == "size") {
    if (value < 1 || value > 4096) return invalid("size must be between 1 and 4096");
    target->threads = static_cast<int>(value);
  } else if (key == "queue_size") {
    if (value < -1) return invalid("queue_size must be -1 (unbounded) or more");
    target->queue = value;
  } else {
    return invalid("expected size or queue_size");
  }
  return Status::OK();
}

std::vector<WorkerLaneOptions> RequestLaneOptions(const ThreadPoolSettings& settings,
                                                  int worker_threads, int cores) {
  cores = std::max(1, cores);
  struct Default {
    int threads;
    size_t queue;
  };
  const Default defaults[kRequestLaneCount] = {
      {worker_threads > 0 ? worker_threads : cores * 3 / 2 + 1, 1000},  // search
      {cores, 10000},                                                   // write
      {std::max(2, std::min(5, cores / 2)), 1000},                      // management
  };
  std::vector<WorkerLaneOptions> lanes;
  for (size_t i = 0; i < kRequestLaneCount; ++i) {
    const LaneSizeSetting& s = settings[i];
    WorkerLaneOptions lane;
    lane.name = std::string(RequestLaneName(static_cast<RequestLane>(i)));
    lane.threads = s.threads > 0 ? s.threads : defaults[i].threads;
    lane.queue_capacity = s.queue == -2   ? defaults[i].queue
                          : s.queue == -1 ? kUnboundedQueue
                                          : static_cast<size_t>(s.queue);
    lanes.push_back(std::move(lane));
  }
  return lanes;
}

}  // namespace lookalike::server
