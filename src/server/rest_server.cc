#include "server/rest_server.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <functional>

namespace lookalike::server {

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
  RegisterClusterHandlers(router_, ctx_);
  RegisterIndexHandlers(router_, ctx_);
  RegisterDocumentHandlers(router_, ctx_);
  RegisterBulkHandlers(router_, ctx_);
  RegisterSearchHandlers(router_, ctx_);
  image_api_ = std::make_unique<ImageApi>(engine, options_.image);
  ctx_.image_api = image_api_.get();
  image_api_->Register(router_);
  RegisterWebUi(router_);
  if (options_.security != nullptr) gate_ = std::make_unique<SecurityGate>(options_.security);
  http_ = std::make_unique<HttpServer>(
      options_.http, [this](const HttpRequest& req, HttpResponse* resp) { Handle(req, resp); });
}

RestServer::~RestServer() = default;

void RestServer::Handle(const HttpRequest& request, HttpResponse* response) const {
  if (!guard_.Admit(request, response)) return;
  if (gate_ != nullptr && gate_->Intercept(request, response)) {  // 401, 403, _security
    guard_.Decorate(request, response);
    return;
  }
  router_.Handle(request, response);
  guard_.Decorate(request, response);
}

}  // namespace lookalike::server
