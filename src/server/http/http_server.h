// The HTTP/1.1 transport: one event-loop thread (epoll, non-blocking sockets) that accepts,
// reads, parses (via HttpSession) and writes, plus a worker pool that runs the handler for each
// complete request. Keep-alive and pipelining are supported; each connection has at most one
// request in flight, different connections are served in parallel by the workers.
//
// Shutdown: Stop() (async-signal-safe: it only writes an eventfd) makes Run() stop accepting,
// answer every request already received, close idle connections, wait for in-flight handlers
// (up to shutdown_grace_ms), then return.
//
// TLS: with tls_cert_file/tls_key_file set the port speaks HTTPS only (server/http/tls.h); the
// certificate and key are loaded by Listen(), and ReloadTls() makes the loop load them again
// for new connections (open ones keep the old ones).
//
// Thread safety: Listen/Run are called by the owner from one thread; Stop and ReloadTls from any
// thread or a signal handler. The handler runs on worker threads, concurrently for different connections.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "lookalike/status.h"
#include "server/http/http_message.h"

namespace lookalike::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 9200;                             // 0 picks a free port (see HttpServer::port)
  size_t max_body_bytes = size_t{100} << 20;   // 413 above this
  int worker_threads = 0;                      // 0 = number of cores
  int shutdown_grace_ms = 30000;
  // A connection with no request in flight and no byte received for this long is closed, so
  // idle keep-alive clients and stalled partial requests do not hold sockets forever.
  int idle_timeout_ms = 300000;
  // Connections accepted beyond this are closed at once (file descriptors are finite).
  size_t max_connections = 10000;
  // HTTPS: PEM certificate chain (leaf first) and PEM private key; both empty = plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // A TLS handshake not finished this long after accept is abandoned (the socket closed).
  int tls_handshake_timeout_ms = 10000;
};

using RequestHandler = std::function<void(const HttpRequest&, HttpResponse*)>;

class TlsContext;

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
  std::atomic<bool> tls_reload_requested_{false};
  std::shared_ptr<TlsContext> tls_;  // null = plain HTTP; replaced only by the loop thread
  std::unique_ptr<Loop> loop_;
};

}  // namespace lookalike::server
