#include "server/rest_server.h"

#include "cluster/cluster_state.h"
#include "server/handlers/nodes.h"
#include "server/handlers/slowlog.h"
#include "server/metrics/node_metrics.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

namespace lookalike::server {
namespace {

// See RestServerOptions::test_hold_writes_while.
void HoldWhileFileExists(const std::string& file) {
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  std::error_code ec;
  while (std::filesystem::exists(file, ec) && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

HttpServerOptions WithRequestLanes(HttpServerOptions http, const ThreadPoolSettings& pools) {
  if (!http.lanes.empty()) return http;  // the caller chose its own lanes
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  http.lanes = RequestLaneOptions(pools, http.worker_threads, cores);
  http.lane_of = [](const HttpRequest& request) {
    return static_cast<size_t>(RequestLaneFor(request.method, request.path));
  };
  return http;
}

}  // namespace

RestServer::RestServer(Engine* engine, RestServerOptions options)
    : options_(std::move(options)), guard_([this] {
        RequestGuardOptions guard = options_.guard;
        guard.bound_host = options_.http.host;
        return guard;
      }()) {
  ctx_.engine = engine;
  ctx_.node_name = options_.node_name;
  ctx_.cluster_name = options_.cluster_name;
  if (options_.cluster_uuid.empty()) {
    // Stable across restarts of the same node without storing anything.
    size_t h = std::hash<std::string>{}(options_.cluster_name + "/" + options_.node_name);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%016zx", h);
    ctx_.cluster_uuid = std::string("lk") + buf + "aaaa";
  } else {
    ctx_.cluster_uuid = options_.cluster_uuid;
  }
  if (!options_.cluster_settings_file.empty()) {
    Status st = ctx_.cluster_settings.Open(options_.cluster_settings_file);
    if (!st.ok()) spdlog::warn("{} (settings start empty)", st.ToString());
    auto stored = [this](std::string_view key) { return ctx_.cluster_settings.Get(key); };
    bool any = !stored(kDiskWatermarkLow).empty() || !stored(kDiskWatermarkHigh).empty() ||
               !stored(kDiskFloodStage).empty();
    if (any) st = ApplyDiskWatermarks(*engine, stored);
    if (any && !st.ok()) {
      spdlog::warn("stored disk watermarks ignored: {}", st.ToString());
    }
  }
  repositories_ = std::make_unique<snapshot::RepositoryRegistry>(
      options_.path_repo, options_.snapshot_repositories_file);
  if (Status st = repositories_->Load(); !st.ok()) {
    spdlog::warn("{} (no snapshot repositories registered)", st.ToString());
  }
  ctx_.repositories = repositories_.get();
  search_pipelines_ = std::make_unique<SearchPipelineStore>(options_.search_pipelines_file);
  if (Status st = search_pipelines_->Load(); !st.ok()) {
    spdlog::warn("{} (no search pipelines loaded)", st.ToString());
  }
  ctx_.search_pipelines = search_pipelines_.get();
  if (options_.shard_map != nullptr) {
    cluster::ScatterOptions scatter;
    scatter.local_node = options_.node_name;
    scatter.local_engine = engine;
    scatter.embedder = options_.embedder;
    coordinator_ = std::make_unique<cluster::Coordinator>(options_.shard_map, std::move(scatter));
    ctx_.coordinator = coordinator_.get();
  }
  RegisterClusterHandlers(router_, ctx_);
  RegisterIndexHandlers(router_, ctx_);
  RegisterDocumentHandlers(router_, ctx_);
  RegisterBulkHandlers(router_, ctx_);
  RegisterSearchHandlers(router_, ctx_);
  RegisterShardHandlers(router_, ctx_);
  RegisterNearDuplicateHandlers(router_, ctx_);
  RegisterSlowLogHandlers(router_, *engine);
  RegisterSnapshotHandlers(router_, ctx_);
  RegisterSearchPipelineHandlers(router_, ctx_);
  image_route_ = MakeImageSearchRoute(ctx_);
  ImageApiOptions image = options_.image;
  image.route = image_route_.get();
  image_api_ = std::make_unique<ImageApi>(engine, std::move(image));
  image_api_->Register(router_);
  RegisterWebUi(router_);
  auto lanes = [this] {
    return http_ ? http_->lane_stats() : std::vector<WorkerPoolStats>();
  };
  RegisterMetricsHandler(router_, NodeMetricsSources{engine, &http_metrics_, lanes,
                                                     options_.data_dir});
  // One hour of samples whatever the interval (at least one), so the memory stays fixed.
  const int interval_ms = std::max(options_.status_interval_ms, 100);
  status_ = std::make_unique<StatusHistory>(
      engine, &http_metrics_, options_.data_dir, std::chrono::milliseconds(interval_ms),
      static_cast<size_t>(std::max(1, 3600 * 1000 / interval_ms)));
  RegisterStatusHandler(router_, *engine, *status_);
  auto node = std::make_shared<NodeContext>();
  node->rest = &ctx_;
  node->host = options_.http.host;
  node->port = [this] { return http_ ? http_->port() : 0; };
  node->data_dir = options_.data_dir;
  node->max_content_length = options_.http.max_body_bytes;
  node->lanes = lanes;
  RegisterNodeHandlers(router_, std::move(node));
  // The security API is answered by the gate, not the router; its requests count under one
  // pseudo pattern rather than "unmatched".
  std::vector<std::string> patterns = router_.patterns();
  security_route_ = static_cast<int>(patterns.size());
  patterns.emplace_back("/_security/*");
  http_metrics_.SetRoutes(std::move(patterns));
  if (options_.security != nullptr) gate_ = std::make_unique<SecurityGate>(options_.security);
  http_ = std::make_unique<HttpServer>(
      WithRequestLanes(options_.http, options_.thread_pools),
      [this](const HttpRequest& req, HttpResponse* resp) { Handle(req, resp); });
  status_->Start();
}

RestServer::~RestServer() = default;

void RestServer::AttachCluster(ClusterServices* services) {
  ctx_.cluster = services;
  ctx_.cluster_uuid = services->cluster_uuid;
  if (coordinator_ == nullptr && services->state != nullptr) {
    cluster::ScatterOptions scatter;
    scatter.local_node = services->node_name;
    scatter.local_engine = ctx_.engine;
    scatter.embedder = options_.embedder;
    coordinator_ = std::make_unique<cluster::Coordinator>(services->state, std::move(scatter));
    ctx_.coordinator = coordinator_.get();
  }
}

void RestServer::Handle(const HttpRequest& request, HttpResponse* response) const {
  if (!options_.test_hold_writes_while.empty() &&
      RequestLaneFor(request.method, request.path) == RequestLane::kWrite) {
    HoldWhileFileExists(options_.test_hold_writes_while);
  }
  auto start = std::chrono::steady_clock::now();
  int route = -1;
  std::optional<RequestCaller> caller;
  if (!guard_.Admit(request, response)) {
    route = router_.RouteOf(request.path);
  } else if (gate_ != nullptr && gate_->Intercept(request, response, &caller)) {  // 401, 403
    route = router_.RouteOf(request.path);
    if (route < 0 && request.path.starts_with("/_security")) route = security_route_;
    guard_.Decorate(request, response);
  } else {
    route = router_.Handle(request, response, caller ? &*caller : nullptr);
    guard_.Decorate(request, response);
  }
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  http_metrics_.Record(route, request.method, response->status, took.count());
}

}  // namespace lookalike::server
