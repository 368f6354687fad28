// The Elasticsearch/OpenSearch-compatible REST server: the HTTP transport, the router and the
// handler groups, wired to an Engine.
//
//   RestServer server(engine.get(), options);
//   LOOKALIKE_RETURN_IF_ERROR(server.Listen());
//   std::thread stopper(... server.Stop() on SIGTERM ...);
//   server.Run();          // returns after a graceful shutdown
//   engine->Shutdown();    // the caller persists
//
// Handle() is the whole REST API as a function of a parsed request, so tests (and fuzzers) can
// drive it without sockets.
//
// Requests run in three worker lanes, search, write and management (server/request_lanes.h),
// unless options.http.lanes is set by the caller.
//
// Thread safety: Handle may run concurrently; Listen/Run from one thread; Stop from anywhere
// (also a signal handler). The engine must outlive the server.
#pragma once

#include <memory>
#include <string>

#include "cluster/scatter.h"
#include "cluster/shard_map.h"
#include "lookalike/engine.h"
#include "lookalike/status.h"
#include "server/handlers/rest_common.h"
#include "server/http/http_server.h"
#include "server/image/image_handlers.h"
#include "server/metrics/http_metrics.h"
#include "server/metrics/status_history.h"
#include "server/request_guard.h"
#include "server/request_lanes.h"
#include "server/router.h"
#include "server/search_pipeline_store.h"
#include "server/security/rest_security_gate.h"
#include "snapshot/repositories.h"

namespace lookalike::server {

struct RestServerOptions {
  HttpServerOptions http;
  std::string node_name = "lookalike";
  std::string cluster_name = "lookalike";
  std::string cluster_uuid;  // "" = derived from the node name
  ImageApiOptions image;     // models and image roots for the image API and the page
  std::string cluster_settings_file;  // persistent _cluster/settings; "" = memory only
  // Snapshot repositories (serve --path-repo, Elasticsearch's path.repo): the allowed roots
  // (none: fs repositories are refused) and the file keeping registrations ("" = memory only).
  std::vector<std::string> path_repo;
  std::string snapshot_repositories_file;
  // Stored search pipelines (_search/pipeline); "" = memory only.
  std::string search_pipelines_file;
  std::string data_dir;      // reported by _nodes/stats fs and the metrics; "" = not reported
  RequestGuardOptions guard;  // Host/Origin/CORS/Content-Type; bound_host is taken from http
  // Users, API keys and roles; null = security off (every request is served). Must outlive the
  // server.
  security::SecurityService* security = nullptr;
  // Sizes of the worker lanes (serve --thread-pool); http.worker_threads sizes the search lane.
  ThreadPoolSettings thread_pools;
  /// How often the status page's history (GET /_lookalike/status) takes a sample; it keeps
  /// an hour's worth at the default 10 s (360 samples, fixed memory).
  int status_interval_ms = 10000;
  // Tests only (serve --test-hold-writes-while, hidden): while this file exists, requests of
  // the write lane wait before they run (at most 120 s), holding their worker, so a test can
  // show that searches and health checks still answer. "" = off.
  std::string test_hold_writes_while;
  /// Cluster mode (issue 9): where the shards of the user's indices live. When set, _search,
  /// _count, GET _doc and _mget go through the coordinator (cluster/scatter.h) and scroll is
  /// refused; null = single node, everything local. Must outlive the server.
  const cluster::ShardMapSource* shard_map = nullptr;
  /// The engine's embedder (EngineOptions::embedder): in cluster mode the coordinator embeds
  /// neural queries and image uploads with it before scattering. Null: no models.
  std::shared_ptr<FieldEmbedder> embedder;
};

class RestServer {
 public:
  RestServer(Engine* engine, RestServerOptions options);
  ~RestServer();

  void Handle(const HttpRequest& request, HttpResponse* response) const;

  Status Listen() { return http_->Listen(); }
  int port() const { return http_->port(); }
  Status Run() { return http_->Run(); }
  void Stop() { http_->Stop(); }
  /// Makes this node a cluster node (serve --cluster): index management and writes go through
  /// the cluster. Call before Run(); `services` must outlive the server.
  /// Searches, counts and gets of user indices then go through a coordinator reading the
  /// cluster state's shard map (unless a fixed shard map was given in the options).
  void AttachCluster(ClusterServices* services);
  /// Reloads the TLS certificate and key for new connections (SIGHUP); see HttpServer.
  void ReloadTls() { http_->ReloadTls(); }
  /// Per worker lane (RequestLane order): threads, active, queued, rejected, completed.
  std::vector<WorkerPoolStats> lane_stats() const { return http_->lane_stats(); }

 private:
  RestServerOptions options_;
  RequestGuard guard_;
  RestContext ctx_;
  std::unique_ptr<ImageSearchRoute> image_route_;  // uploads of cluster indices: the coordinator
  std::unique_ptr<ImageApi> image_api_;
  std::unique_ptr<snapshot::RepositoryRegistry> repositories_;
  std::unique_ptr<SearchPipelineStore> search_pipelines_;
  std::unique_ptr<cluster::Coordinator> coordinator_;  // null in single-node mode
  Router router_;
  // Routes set once registration is complete; mutable: Handle() is const and records into it.
  mutable HttpMetrics http_metrics_;
  // After http_metrics_ and before http_: its sampler reads the first and stops before either
  // goes.
  std::unique_ptr<StatusHistory> status_;
  int security_route_ = -1;             // the metrics' pseudo route of the _security API
  std::unique_ptr<SecurityGate> gate_;  // null when security is off
  std::unique_ptr<HttpServer> http_;
};

}  // namespace lookalike::server
