// The HTTP/1.1 transport: one event-loop thread (epoll, non-blocking sockets) that accepts,
// reads, parses (via HttpSession) and writes, plus worker pools ("lanes") that run the handler
// for each complete request. Keep-alive and pipelining are supported; each connection has at
// most one request in flight, different connections are served in parallel by the workers.
//
// Lanes: the owner names the lanes (threads and queue bound each) and gives a selector that
// maps a request to a lane number; the transport knows nothing else about them. Handlers
// blocked in one lane (writers waiting for the engine) never hold another lane's threads. When
// the chosen lane's queue is full the request is answered 429 es_rejected_execution_exception at
// once and the connection stays open for the next request.
//
// Shutdown: Stop() (async-signal-safe: it only writes an eventfd) makes Run() stop accepting,
// answer every request already received, close idle connections, wait for in-flight handlers
// (up to shutdown_grace_ms), then return.
//
// TLS: with tls_cert_file/tls_key_file set the port speaks HTTPS only (net/tls.h); the
// certificate and key are loaded by Listen(), and ReloadTls() makes the loop load them again
// for new connections (open ones keep the old ones).
//
// Thread safety: Listen/Run are called by the owner from one thread; Stop and ReloadTls from any
// thread or a signal handler. The handler runs on worker threads, concurrently for different
// connections.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lookalike/status.h"
#include "server/http/body_budget.h"
#include "server/http/http_message.h"
#include "server/http/worker_pool.h"

namespace lookalike::net {
class TlsContext;
}  // namespace lookalike::net

namespace lookalike::server {

/// One pool of worker threads for a class of requests.
struct WorkerLaneOptions {
  std::string name;  // reported in lane_stats() and in rejections ("write")
  int threads = 0;   // 0 = number of cores
  // Requests waiting for a thread; more get 429. 0 = none wait (429 unless a thread is free).
  size_t queue_capacity = kUnboundedQueue;
};

/// Picks the lane (an index into HttpServerOptions::lanes) of a complete request. Runs on the
/// event-loop thread for every request: it must be cheap and must not block. An index past the
/// last lane means the last lane.
using LaneSelector = std::function<size_t(const HttpRequest&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 9200;                             // 0 picks a free port (see HttpServer::port)
  size_t max_body_bytes = size_t{100} << 20;   // 413 above this
  // Threads of the single lane used when `lanes` is empty (0 = number of cores); with `lanes`
  // set it is not read here (the REST server uses it to size its search lane).
  int worker_threads = 0;
  // The worker lanes; empty = one lane "default" of worker_threads threads, unbounded queue.
  std::vector<WorkerLaneOptions> lanes;
  LaneSelector lane_of;  // null = every request runs in lane 0
  int shutdown_grace_ms = 30000;
  // A connection with no request in flight and no byte received for this long is closed, so
  // idle keep-alive clients and stalled partial requests do not hold sockets forever.
  int idle_timeout_ms = 300000;
  // At this many open connections (or when accept runs out of file descriptors) the
  // connection idle the longest (no request in flight, nothing buffered, quiet for at least
  // min_idle_ms_to_evict) is closed to make room; when none qualifies, the new connection is
  // closed at once.
  size_t max_connections = 10000;
  int min_idle_ms_to_evict = 1000;
  // Open connections per client IP address; more are closed at once. 0 = unlimited. Loopback
  // clients are exempt: everything behind a local reverse proxy shares one address.
  size_t max_connections_per_client = 1000;
  bool loopback_exempt_from_client_limit = true;  // false: tests can exercise the limit
  // A request's line and headers must be complete this long after its first byte (for a new
  // connection: after the accept), like nginx's client_header_timeout; else the connection is
  // closed, so slow or silent sockets cannot hold connection slots.
  int header_timeout_ms = 30000;
  // Bytes of request bodies in progress (received or promised by Content-Length) across all
  // connections; past it new bodies get 429 circuit_breaking_exception. 0 = unlimited. See
  // body_budget.h.
  size_t max_inflight_body_bytes = size_t{512} << 20;
  // HTTPS: PEM certificate chain (leaf first) and PEM private key; both empty = plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // A TLS handshake not finished this long after accept is abandoned (the socket closed).
  int tls_handshake_timeout_ms = 10000;
};

/// Counters of the transport's defences, for tests and _stats.
struct HttpServerCounters {
  uint64_t accept_resource_errors = 0;  // EMFILE/ENFILE/ENOBUFS/ENOMEM from accept
  uint64_t accept_pauses = 0;           // times the listening socket was set aside
  uint64_t idle_evicted = 0;            // idle connections closed to make room
  uint64_t refused_at_limit = 0;        // new connections closed: no room, nothing idle
  uint64_t refused_per_client = 0;      // new connections closed: client over its limit
  uint64_t header_timeouts = 0;         // connections closed for slow request headers
  size_t inflight_body_bytes = 0;       // charged to the body budget now
};

using RequestHandler = std::function<void(const HttpRequest&, HttpResponse*)>;

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, RequestHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Loads the TLS certificate and key when configured (InvalidArgument naming the file when
  /// missing, unreadable or mismatched), then binds and listens. IOError when the address is in
  /// use or invalid.
  Status Listen();
  /// The bound port (after Listen).
  int port() const { return port_; }
  /// Serves until Stop(). Returns OK after a graceful shutdown.
  Status Run();
  /// Requests shutdown; safe from signal handlers and other threads.
  void Stop();
  /// A snapshot of the counters; safe from any thread.
  HttpServerCounters counters() const;
  /// Per lane, in the order of HttpServerOptions::lanes: threads, active, queued, rejected,
  /// completed. Safe from any thread, at any time (threads run only during Run).
  std::vector<WorkerPoolStats> lane_stats() const;
  /// Asks the loop to reload the TLS certificate and key (SIGHUP); a failed reload is logged
  /// and the old ones stay. Safe from signal handlers and other threads; no-op without TLS.
  void ReloadTls();

 private:
  class Loop;
  HttpServerOptions options_;
  RequestHandler handler_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: worker completions and Stop()
  int port_ = 0;
  std::atomic<bool> stop_requested_{false};
  BodyBudget body_budget_;
  // Written by the event loop, read by counters() from anywhere.
  std::atomic<uint64_t> accept_resource_errors_{0}, accept_pauses_{0}, idle_evicted_{0},
      refused_at_limit_{0}, refused_per_client_{0}, header_timeouts_{0};
  std::atomic<bool> tls_reload_requested_{false};
  std::shared_ptr<net::TlsContext> tls_;  // null = plain HTTP; replaced only by the loop thread
  // One pool per lane; built by the constructor, threads started and stopped by Run.
  std::vector<std::unique_ptr<WorkerPool>> lanes_;
  std::unique_ptr<Loop> loop_;
};

}  // namespace lookalike::server
