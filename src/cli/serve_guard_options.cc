// The `serve` flags of the request guard and the transport's defences; see commands.h.
#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <string>
#include <vector>

#include "cli/commands.h"
#include "server/request_guard.h"
#include "server/rest_server.h"

namespace lookalike::cli {

void AddServeGuardOptions(CLI::App* cmd, server::RestServerOptions* options) {
  server::RestServerOptions* o = options;
  cmd->add_option_function<std::vector<std::string>>(
      "--allowed-host",
      [o](const std::vector<std::string>& names) { o->guard.allowed_hosts = names; },
      "A name the Host header may carry besides localhost, 127.0.0.1 and [::1] when bound to "
      "loopback (repeatable; DNS-rebinding protection)");
  cmd->add_option_function<std::vector<std::string>>(
      "--cors-allow-origin",
      [o](const std::vector<std::string>& origins) {
        o->guard.cors_allow_origins = server::SplitCommaList(origins);
      },
      "Origin allowed cross-origin access, e.g. https://app.example:8443, or * (repeatable or "
      "comma-separated; Elasticsearch's http.cors.allow-origin). Default: CORS off");
  cmd->add_option_function<int>(
         "--max-inflight-body-mb",
         [o](int mb) { o->http.max_inflight_body_bytes = static_cast<size_t>(mb) << 20; },
         "Request-body bytes all connections together may hold in flight; beyond it new "
         "requests get 429 circuit_breaking_exception (0 = unlimited; default " +
             std::to_string(o->http.max_inflight_body_bytes >> 20) + ")")
      ->check(CLI::Range(0, 1 << 20));
  cmd->add_option_function<int>(
         "--max-connections-per-client",
         [o](int n) { o->http.max_connections_per_client = static_cast<size_t>(n); },
         "Open connections per client address, loopback clients exempt (0 = unlimited; "
         "default " + std::to_string(o->http.max_connections_per_client) + ")")
      ->check(CLI::Range(0, 1 << 24));
  cmd->add_option_function<int>(
         "--header-timeout-s", [o](int s) { o->http.header_timeout_ms = s * 1000; },
         "Seconds a client may take to send a request's line and headers (default " +
             std::to_string(o->http.header_timeout_ms / 1000) + ")")
      ->check(CLI::Range(1, 3600));
  cmd->add_option_function<std::vector<std::string>>(
      "--thread-pool",
      [o](const std::vector<std::string>& settings) {
        for (const std::string& setting : settings) {
          Status st = server::ApplyThreadPoolSetting(setting, &o->thread_pools);
          if (!st.ok()) throw CLI::ValidationError("--thread-pool", st.message());
        }
      },
      "Worker lane size, Elasticsearch's thread_pool settings: search.size=N, "
      "write.queue_size=N (-1 = unbounded), lanes search, write, management (repeatable; "
      "defaults in docs/operations.md)");
  // Hidden: lets the integration test hold every write worker (see RestServerOptions).
  cmd->add_option("--test-hold-writes-while", o->test_hold_writes_while)->group("");
}

size_t RaiseOpenFileLimit(size_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  rlim_t target = static_cast<rlim_t>(wanted);
  if (limit.rlim_max != RLIM_INFINITY && target > limit.rlim_max) target = limit.rlim_max;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < target) {
    rlimit raised = limit;
    raised.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? wanted : static_cast<size_t>(limit.rlim_cur);
}

}  // namespace lookalike::cli
