// `lookalike serve`: opens the engine on a data directory and serves the REST API until
// SIGTERM/SIGINT, then finishes in-flight requests, persists (engine Shutdown) and exits 0.
// With --tls-cert/--tls-key it serves HTTPS only; SIGHUP reloads the certificate and key.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/serve_cluster.h"
#include "cluster/static_shard_map.h"
#include "embed/model_field_embedder.h"
#include "lookalike/embedder.h"
#include "lookalike/engine.h"
#include "server/rest_server.h"
#include "server/security/security_service.h"

namespace lookalike::cli {

namespace {

// The running server, for the signal handler only.
std::atomic<server::RestServer*> g_server{nullptr};
// Set by SIGHUP: re-read the users and keys now instead of at the next once-a-second check.
std::atomic<security::SecurityService*> g_security{nullptr};

void OnShutdownSignal(int) {
  if (server::RestServer* server = g_server.load()) server->Stop();
}

void OnReloadSignal(int) {
  if (server::RestServer* server = g_server.load()) server->ReloadTls();
  if (security::SecurityService* service = g_security.load()) service->RequestReload();
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

// Decides whether requests need credentials (see docs/security.md) and logs the decision.
// Returns the started service (null = security off), or an error when the server must not start.
Result<std::unique_ptr<security::SecurityService>> StartSecurity(const std::string& data_dir,
                                                                 const std::string& host,
                                                                 bool force_on, bool insecure) {
  bool loopback = IsLoopback(host);
  if (insecure) {
    if (loopback) {
      spdlog::warn("security OFF (--insecure): every local process may read and write");
    } else {
      spdlog::warn("*** security OFF (--insecure) while listening on {}: ANYONE who can reach "
                   "this port can read, change and delete every index ***", host);
    }
    return std::unique_ptr<security::SecurityService>();
  }
  security::SecurityServiceOptions options;
  options.data_dir = data_dir;
  auto service = std::make_unique<security::SecurityService>(options);
  LOOKALIKE_RETURN_IF_ERROR(service->Start());
  bool has_credentials = service->Snapshot()->HasCredentials(security::NowMs());
  bool any_user = !service->Snapshot()->users.empty();
  if (!loopback && !has_credentials) {
    return Status::InvalidArgument(
        "refusing to listen on " + host + " without authentication: no user or API key exists "
        "in " + data_dir + ". Create one with `lookalike users add NAME --roles superuser --data " +
        data_dir + "`, or pass --insecure to serve everyone without credentials");
  }
  if (loopback && !force_on && !any_user) {
    spdlog::info("security off: listening on loopback only and no users in {} (--security "
                 "turns it on)", data_dir);
    return std::unique_ptr<security::SecurityService>();
  }
  if (!has_credentials) {
    spdlog::warn("security ON but nobody can log in yet: add a user with `lookalike users add "
                 "NAME --roles superuser --data {}`", data_dir);
  }
  spdlog::info("security ON: every request needs a user (Basic) or an API key; {} users, {} "
               "API keys in {}", service->Snapshot()->users.size(),
               service->Snapshot()->api_keys.size(), service->store().file_path());
  return service;
}

struct ServeArgs {
  std::string data_dir;
  std::string host = "127.0.0.1";
  int port = 9200;
  int max_body_mb = 100;
  size_t max_clause_count = 1024;  // indices.query.bool.max_clause_count
  std::string durability = "request";
  std::string log_level = "info";
  int threads = 0;
  std::string node_name = "lookalike";
  std::string tls_cert;                  // PEM; with tls_key: HTTPS only
  std::string tls_key;
  std::string models_dir;                // "" = DefaultModelDir()
  std::vector<std::string> image_roots;  // folders GET /{index}/_image/{id} may serve from
  std::vector<std::string> path_repo;    // allowed snapshot repository roots (path.repo)
  DecodeLimits limits;                   // uploads, index-time images, thumbnails
  std::string disk_low = "85%";          // Elasticsearch disk watermarks (docs/operations.md)
  std::string disk_high = "90%";
  std::string disk_flood_stage = "95%";
  server::RestServerOptions transport;   // guard and transport limits (AddServeGuardOptions)
  bool security = false;                 // require credentials even on loopback
  bool insecure = false;                 // never require credentials, even on 0.0.0.0
  std::string cluster;                   // --cluster etcd=URL[,URL…]; "" = single node
  std::string nats;                      // --nats nats://…[,…] (with --cluster)
  std::string static_shards;             // --static-shards FILE (tests): a fixed shard map
};

// The engine's options from the command line; false (logged) for a bad --durability.
bool EngineOptionsFor(const ServeArgs& args, EngineOptions* options) {
  options->data_dir = args.data_dir;
  options->threads = args.threads;
  options->max_clause_count = args.max_clause_count;
  options->disk_watermark_low = args.disk_low;
  options->disk_watermark_high = args.disk_high;
  options->disk_flood_stage = args.disk_flood_stage;
  if (args.durability == "async") {
    options->durability = Durability::kAsync;
  } else if (args.durability != "request") {
    spdlog::error("--durability must be 'request' or 'async', not '{}'", args.durability);
    return false;
  }
  return true;
}

// Image models are optional: without them the REST API works and image queries answer 400.
// Logs what it loaded or refused; an error (logged) only when the folder cannot be read.
Result<std::unique_ptr<ModelRegistry>> LoadModels(const ServeArgs& args) {
  std::string models_dir = args.models_dir.empty() ? DefaultModelDir() : args.models_dir;
  auto models = ModelRegistry::LoadDir(models_dir, {}, /*allow_missing=*/true);
  if (!models.ok()) {
    spdlog::error("cannot load models from {}: {}", models_dir, models.status().ToString());
    return models.status();
  }
  for (const Status& refused : models.value()->refused()) {
    spdlog::warn("model manifest refused, the other models are served: {}", refused.ToString());
  }
  if (models.value()->List().empty()) {
    spdlog::warn("no image models in {}; image queries are disabled", models_dir);
  } else {
    spdlog::info("image models from {} (default {})", models_dir, models.value()->DefaultName());
  }
  return models;
}

// The server's options that come from the command line alone (files live in the data folder).
server::RestServerOptions ServerOptionsFor(const ServeArgs& args) {
  server::RestServerOptions options = args.transport;
  options.image.image_roots = args.image_roots;
  options.image.limits = args.limits;
  options.image.thumbnail_dir = args.data_dir + "/thumbnails";  // beside db/ and vectors/
  options.cluster_settings_file = args.data_dir + "/cluster_settings.json";
  options.path_repo = args.path_repo;
  options.snapshot_repositories_file = args.data_dir + "/snapshot_repositories.json";
  options.search_pipelines_file = args.data_dir + "/search_pipelines.json";
  options.data_dir = args.data_dir;
  options.http.host = args.host;
  options.http.port = args.port;
  options.http.max_body_bytes = static_cast<size_t>(args.max_body_mb) << 20;
  options.http.tls_cert_file = args.tls_cert;
  options.http.tls_key_file = args.tls_key;
  options.node_name = args.node_name;
  return options;
}

void LogLanesAndImageRoots(const server::RestServer& server,
                           const std::vector<std::string>& image_roots) {
  std::string lanes;
  for (const server::WorkerPoolStats& lane : server.lane_stats()) {
    if (!lanes.empty()) lanes += ", ";
    lanes +=
        lane.name + " " + std::to_string(lane.threads) + " threads (queue " +
        (lane.queue_capacity == server::kUnboundedQueue ? std::string("unbounded")
                                                        : std::to_string(lane.queue_capacity)) +
        ")";
  }
  spdlog::info("worker lanes: {}", lanes);
  for (const std::string& root : image_roots) {
    std::error_code ec;
    if (std::filesystem::is_directory(root, ec)) {
      spdlog::info("serving images below {}", root);
    } else {
      spdlog::warn("--image-root {} is not a folder; ignored", root);
    }
  }
}

// Libraries (OpenBLAS, RocksDB) start threads before we could block signals in all of them,
// so SIGTERM/SIGINT are taken with a handler. HttpServer::Stop is async-signal-safe (an atomic
// store and a write to an eventfd); SIGHUP reloads the security files.
void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnShutdownSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  struct sigaction reload {};
  reload.sa_handler = OnReloadSignal;
  sigemptyset(&reload.sa_mask);
  sigaction(SIGHUP, &reload, nullptr);
}

void RestoreDefaultSignals() {
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
}

int RunServe(const ServeArgs& args) {
  auto logger = spdlog::stderr_color_mt("lookalike");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(args.log_level));
  spdlog::set_pattern("[%Y-%m-%dT%H:%M:%S.%e] [%^%l%$] %v");

  signal(SIGPIPE, SIG_IGN);

  EngineOptions engine_options;
  if (!EngineOptionsFor(args, &engine_options)) return 2;
  auto models = LoadModels(args);
  if (!models.ok()) return 1;

  // The engine embeds images itself (mapped source_field writes, neural queries) through this
  // plug-in; the registry outlives the engine (declared first, destroyed last).
  embed::ModelFieldEmbedderOptions embed_options;
  embed_options.models = models.value().get();
  embed_options.image_roots = args.image_roots;
  embed_options.limits = args.limits;
  engine_options.embedder = std::make_shared<embed::ModelFieldEmbedder>(std::move(embed_options));
  auto engine = Engine::Open(engine_options);
  if (!engine.ok()) {
    spdlog::error("cannot open data directory {}: {}", args.data_dir, engine.status().ToString());
    return 1;
  }

  auto security = StartSecurity(args.data_dir, args.host, args.security, args.insecure);
  if (!security.ok()) {
    spdlog::error("{}", security.status().message());
    engine.value()->Shutdown();
    return 1;
  }

  server::RestServerOptions options = ServerOptionsFor(args);
  options.security = security.value().get();
  options.image.models = models.value().get();
  options.embedder = engine_options.embedder;
  std::unique_ptr<cluster::StaticShardMap> static_shards;
  if (!args.static_shards.empty()) {
    auto loaded = cluster::StaticShardMap::Load(args.static_shards);
    if (!loaded.ok()) {
      spdlog::error("--static-shards: {}", loaded.status().ToString());
      engine.value()->Shutdown();
      return 2;
    }
    static_shards = std::move(loaded).value();
    options.shard_map = static_shards.get();
    spdlog::info("cluster read path over the fixed shard map {} (for tests)", args.static_shards);
  }
  size_t fds = RaiseOpenFileLimit(options.http.max_connections + 256);
  if (fds < options.http.max_connections) {
    spdlog::info("{} file descriptors: past that, idle connections make room", fds);
  }
  server::RestServer server(engine.value().get(), options);
  LogLanesAndImageRoots(server, options.image.image_roots);
  Status st = server.Listen();
  if (!st.ok()) {
    // Listen loads the TLS certificate and key first; their errors name the file.
    spdlog::error("cannot serve on {}:{}: {}", args.host, args.port, st.ToString());
    engine.value()->Shutdown();
    return 1;
  }
  // Joins only once the port is known: the registration tells others where to reach us.
  std::unique_ptr<ClusterNode> cluster_node;
  if (!args.cluster.empty()) {
    auto joined = ClusterNode::Join(args.cluster, args.nats, args.node_name,
                                    args.host + ":" + std::to_string(server.port()),
                                    engine.value().get(), args.data_dir);
    if (!joined.ok()) {
      spdlog::error("cannot join the cluster: {}", joined.status().ToString());
      engine.value()->Shutdown();
      return 1;
    }
    cluster_node = std::move(joined).value();
    server.AttachCluster(cluster_node->services());
  } else if (!args.nats.empty()) {
    spdlog::error("--nats is for a cluster node; give --cluster etcd=URL too");
    engine.value()->Shutdown();
    return 2;
  }
  bool tls = !args.tls_cert.empty();
  spdlog::info("lookalike listening on {}://{}:{} (data {}, durability {})", tls ? "https" : "http",
               args.host, server.port(), args.data_dir, args.durability);

  g_server.store(&server);
  g_security.store(security.value().get());
  InstallSignalHandlers();
  st = server.Run();
  RestoreDefaultSignals();
  g_server.store(nullptr);
  g_security.store(nullptr);
  if (!st.ok()) spdlog::error("server stopped: {}", st.ToString());
  if (cluster_node) spdlog::info("cluster: leaving");
  cluster_node.reset();  // revokes the node's lease: the others see it leave at once
  spdlog::info("persisting and closing the engine");
  engine.value()->Shutdown();
  spdlog::info("bye");
  return st.ok() ? 0 : 1;
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ServeArgs>();
  auto* cmd = app.add_subcommand("serve", "Serve the Elasticsearch-compatible REST API");
  cmd->add_option("--data", args->data_dir, "Data directory (created if missing)")->required();
  cmd->add_option("--host", args->host, "Address to bind")->capture_default_str();
  cmd->add_option("--port", args->port, "TCP port (0 = any free port)")->capture_default_str();
  cmd->add_option("--max-body-mb", args->max_body_mb, "Request body limit in MiB")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--max-clause-count", args->max_clause_count,
                  "indices.query.bool.max_clause_count: most clauses one query may hold")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  cmd->add_option("--durability", args->durability,
                  "request: fsync before acknowledging; async: sync about once a second")
      ->capture_default_str()
      ->check(CLI::IsMember({"request", "async"}));
  cmd->add_option("--log-level", args->log_level, "trace, debug, info, warn, error")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  cmd->add_option("--threads", args->threads, "Background indexing threads (0 = cores)")
      ->capture_default_str();
  cmd->add_option("--disk-flood-stage", args->disk_flood_stage,
                  "Above this disk usage (\"95%\", \"0.95\") or below this free space (\"1gb\") "
                  "every index becomes read-only-allow-delete")
      ->capture_default_str();
  cmd->add_option("--disk-high-watermark", args->disk_high,
                  "The read-only-allow-delete block is released below this watermark")
      ->capture_default_str();
  cmd->add_option("--disk-low-watermark", args->disk_low,
                  "Reported only (shard allocation in a cluster)")
      ->capture_default_str();
  cmd->add_option("--cluster", args->cluster,
                  "Join a cluster: etcd=URL[,URL...] (registers --node-name in etcd; needs --nats)");
  cmd->add_option("--static-shards", args->static_shards,
                  "For tests and benchmarks: route _search, _count, GET _doc and _mget through "
                  "the cluster coordinator with the fixed shard map in this JSON file");
  cmd->add_option("--nats", args->nats, "NATS JetStream servers for --cluster: nats://HOST:PORT[,...]");
  cmd->add_option("--node-name", args->node_name, "Node name reported by GET / (and in the cluster)")
      ->capture_default_str();
  cmd->add_option("--models,--models-dir", args->models_dir,
                  "Directory of model manifests for image queries (default: models/ beside the "
                  "binary, or $LOOKALIKE_MODELS)");
  cmd->add_option("--image-root", args->image_roots,
                  "Folder whose images GET /{index}/_image/{id} may serve (repeatable)");
  cmd->add_option("--path-repo", args->path_repo,
                  "Folders under which fs snapshot repositories may be registered (path.repo; "
                  "comma-separated or repeatable; none = fs repositories are refused)")
      ->delimiter(',');
  auto* cert = cmd->add_option("--tls-cert", args->tls_cert,
                               "PEM certificate chain (leaf first): serve HTTPS only on --port; "
                               "SIGHUP reloads it");
  auto* key = cmd->add_option("--tls-key", args->tls_key,
                              "PEM private key of --tls-cert (keep it mode 600)");
  cert->needs(key);
  key->needs(cert);
  AddDecodeLimitOptions(cmd, &args->limits);
  AddServeGuardOptions(cmd, &args->transport);
  auto* secure = cmd->add_flag("--security", args->security,
                               "Require credentials even on loopback (on by default for any other "
                               "address, and whenever users exist)");
  auto* insecure = cmd->add_flag("--insecure", args->insecure,
                                 "Serve without authentication, even on a non-loopback address");
  secure->excludes(insecure);
  cmd->callback([args, exit_code] { *exit_code = RunServe(*args); });
}

}  // namespace lookalike::cli
