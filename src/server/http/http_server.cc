#include "server/http/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/error_mapping.h"
#include "server/http/accept_backoff.h"
#include "net/connection_io.h"
#include "server/http/http_session.h"
#include "net/tls.h"
#include "server/http/worker_pool.h"

namespace lookalike::server {

// The byte streams under a connection live in the net layer (shared with the HTTP client).
using net::ConnectionIo;
using net::IoOutcome;
using net::IoResult;
using net::MakePlainConnectionIo;
using net::TlsContext;

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kListenTag = 0;
constexpr uint64_t kWakeTag = 1;
constexpr size_t kReadChunk = 256 * 1024;
// While draining after an error response, give up after this much input or this long idle.
constexpr uint64_t kMaxDrainBytes = uint64_t{1} << 30;
constexpr auto kDrainIdle = std::chrono::seconds(10);

std::string ErrnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// The per-client connection count key of a peer: its IPv4 address, or the /64 prefix of an
// IPv6 one (one host usually owns a whole /64). "" for loopback peers when they are exempt.
std::string ClientKey(const sockaddr_storage& peer, bool loopback_exempt) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (peer.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&peer);
    if (loopback_exempt && (ntohl(a->sin_addr.s_addr) >> 24) == 127) return "";
    inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text));
    return text;
  }
  if (peer.ss_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_addr;
    if (loopback_exempt && IN6_IS_ADDR_LOOPBACK(&a)) return "";
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      if (loopback_exempt && a.s6_addr[12] == 127) return "";
      inet_ntop(AF_INET, &a.s6_addr[12], text, sizeof(text));
      return text;
    }
    in6_addr prefix{};
    std::memcpy(prefix.s6_addr, a.s6_addr, 8);
    inet_ntop(AF_INET6, &prefix, text, sizeof(text));
    return std::string(text) + "/64";
  }
  return "";
}

// The start of a response body for the log: binary answers (the internal shard endpoints) keep
// their readable text and show '.' for other bytes, so a log line stays one line of text.
std::string LoggableBody(const std::string& body) {
  std::string out = body.substr(0, 300);
  for (char& c : out) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) c = '.';
  }
  return out;
}

}  // namespace

// Everything the event-loop thread owns. Workers only touch `done_` (under done_mu_) and the
// eventfd. The worker lanes belong to the HttpServer (their counters outlive Run).
class HttpServer::Loop {
 public:
  Loop(HttpServer* server, int epoll_fd) : server_(server), epoll_fd_(epoll_fd) {}

  Status Run();

 private:
  struct Conn {
    int fd = -1;
    uint64_t id = 0;
    std::unique_ptr<ConnectionIo> io;  // plain or TLS bytes over fd
    bool handshaking = false;          // TLS handshake not finished yet
    bool read_wants_write = false;     // the last Read asked for writability (TLS)
    bool write_wants_read = false;     // the last Write asked for readability (TLS)
    uint32_t handshake_wants = 0;      // EPOLLIN or EPOLLOUT while handshaking
    Clock::time_point accepted_at;
    HttpSession session;
    bool draining = false;   // error sent, write side shut, discarding input
    uint64_t drained = 0;
    Clock::time_point last_activity;
    // When the current request's head began (the accept, for the first request); zero once
    // its headers are complete. Drives the header deadline.
    Clock::time_point head_started{};
    std::string client;      // ClientKey of the peer ("" = not limited)
    uint32_t events = 0;     // current epoll interest
    explicit Conn(ParserLimits limits) : session(limits) {}
  };
  struct Done {
    uint64_t conn_id;
    HttpResponse response;
  };

  void Accept();
  // Takes one accepted socket into the loop, or closes it when there is no room for it.
  void Admit(int fd, const sockaddr_storage& peer);
  // Closes the connection idle the longest (at least min_idle_ms_to_evict); false if none is.
  bool EvictOldestIdle();
  void PauseAccept(int err);
  void ResumeAcceptIfDue();
  void SweepConnections();
  // Counts a refused connection; logs at most once a second.
  void NoteRefused(const char* why);
  void ContinueHandshake(Conn* conn);
  void ReloadTls();
  void OnConnEvent(Conn* conn, uint32_t events);
  void ReadFrom(Conn* conn);
  void Pump(Conn* conn);
  void Flush(Conn* conn);
  void UpdateInterest(Conn* conn);
  void Close(Conn* conn);
  void Dispatch(Conn* conn, HttpRequest request);
  // Hands a finished response to the loop; any thread.
  void Complete(uint64_t conn_id, HttpResponse response);
  void DrainCompletions();
  void BeginShutdown();

  HttpServer* server_;
  int epoll_fd_;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  std::unordered_map<std::string, size_t> per_client_;  // open connections per ClientKey
  AcceptBackoff backoff_;
  bool accept_paused_ = false;
  Clock::time_point resume_accept_at_{};
  Clock::time_point last_refusal_log_{};
  uint64_t refusals_unlogged_ = 0;
  uint64_t next_id_ = 2;
  bool shutting_down_ = false;
  std::vector<char> read_buf_ = std::vector<char>(kReadChunk);

  std::mutex done_mu_;
  std::vector<Done> done_;  // guarded by done_mu_
};

HttpServer::HttpServer(HttpServerOptions options, RequestHandler handler)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      body_budget_(options_.max_inflight_body_bytes) {
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<WorkerLaneOptions> lanes = options_.lanes;
  if (lanes.empty()) {
    lanes.push_back(WorkerLaneOptions{"default", options_.worker_threads, kUnboundedQueue});
  }
  for (const WorkerLaneOptions& lane : lanes) {
    lanes_.push_back(std::make_unique<WorkerPool>(lane.threads > 0 ? lane.threads : cores,
                                                  lane.queue_capacity, lane.name));
  }
}

std::vector<WorkerPoolStats> HttpServer::lane_stats() const {
  std::vector<WorkerPoolStats> out;
  out.reserve(lanes_.size());
  for (const auto& lane : lanes_) out.push_back(lane->Stats());
  return out;
}

HttpServerCounters HttpServer::counters() const {
  HttpServerCounters c;
  c.accept_resource_errors = accept_resource_errors_.load();
  c.accept_pauses = accept_pauses_.load();
  c.idle_evicted = idle_evicted_.load();
  c.refused_at_limit = refused_at_limit_.load();
  c.refused_per_client = refused_per_client_.load();
  c.header_timeouts = header_timeouts_.load();
  c.inflight_body_bytes = body_budget_.used();
  return c;
}

HttpServer::~HttpServer() {
  loop_.reset();
  if (listen_fd_ >= 0) close(listen_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

Status HttpServer::Listen() {
  if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
    return Status::InvalidArgument("a TLS certificate needs its key and a key its certificate");
  }
  if (!options_.tls_cert_file.empty()) {
    LOOKALIKE_ASSIGN_OR_RETURN(tls_,
                               TlsContext::ForServer(options_.tls_cert_file, options_.tls_key_file));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(options_.port);
  int rc = getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    return Status::InvalidArgument("cannot resolve host '" + options_.host +
                                   "': " + gai_strerror(rc));
  }
  Status last = Status::IOError("no address to bind");
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      last = Status::IOError(ErrnoText("socket"));
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
      last = Status::IOError(ErrnoText(("bind " + options_.host + ":" + port).c_str()));
      close(fd);
      continue;
    }
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = addr.ss_family == AF_INET6
                ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    listen_fd_ = fd;
    last = Status::OK();
    break;
  }
  freeaddrinfo(res);
  if (!last.ok()) return last;
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return Status::IOError(ErrnoText("eventfd"));
  return Status::OK();
}

void HttpServer::Stop() {
  stop_requested_.store(true);
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
  }
}

void HttpServer::ReloadTls() {
  tls_reload_requested_.store(true);
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
  }
}

Status HttpServer::Run() {
  if (listen_fd_ < 0) return Status::Unavailable("Run() before Listen()");
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return Status::IOError(ErrnoText("epoll_create1"));
  loop_ = std::make_unique<Loop>(this, epoll_fd);
  for (auto& lane : lanes_) lane->Start();
  Status st = loop_->Run();
  for (auto& lane : lanes_) lane->Stop();  // waits for the handlers still running
  loop_.reset();
  close(epoll_fd);
  return st;
}

Status HttpServer::Loop::Run() {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, server_->listen_fd_, &ev) != 0) {
    return Status::IOError(ErrnoText("epoll_ctl listen"));
  }
  ev.data.u64 = kWakeTag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, server_->wake_fd_, &ev) != 0) {
    return Status::IOError(ErrnoText("epoll_ctl eventfd"));
  }
  Clock::time_point deadline{};
  Clock::time_point last_sweep = Clock::now();
  std::vector<epoll_event> events(256);
  while (true) {
    if (server_->stop_requested_.load() && !shutting_down_) {
      BeginShutdown();
      deadline = Clock::now() + std::chrono::milliseconds(server_->options_.shutdown_grace_ms);
    }
    if (shutting_down_ && (conns_.empty() || Clock::now() > deadline)) break;
    int timeout_ms = 500;
    if (accept_paused_) {
      auto until = std::chrono::ceil<std::chrono::milliseconds>(resume_accept_at_ - Clock::now());
      timeout_ms = static_cast<int>(std::clamp<int64_t>(until.count(), 0, 500));
    }
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(ErrnoText("epoll_wait"));
    }
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kListenTag) {
        if (!shutting_down_) Accept();
      } else if (tag == kWakeTag) {
        uint64_t value;
        while (read(server_->wake_fd_, &value, sizeof(value)) > 0) {
        }
        if (server_->tls_reload_requested_.exchange(false)) ReloadTls();
        DrainCompletions();
      } else {
        auto it = conns_.find(tag);
        if (it != conns_.end()) OnConnEvent(it->second.get(), events[i].events);
      }
    }
    if (!shutting_down_) ResumeAcceptIfDue();
    auto now = Clock::now();
    if (now - last_sweep >= std::chrono::milliseconds(server_->options_.header_timeout_ms < 2000
                                                          ? 100
                                                          : 500)) {
      last_sweep = now;
      SweepConnections();
    }
  }
  std::vector<Conn*> rest;
  for (auto& [id, conn] : conns_) rest.push_back(conn.get());
  for (Conn* conn : rest) Close(conn);
  return Status::OK();
}

// Connections draining after an error are dropped once the peer goes quiet; others once they
// sat idle (nothing in flight) past the idle timeout, took longer than the header deadline
// to send a request's head, or did not finish the TLS handshake in time.
void HttpServer::Loop::SweepConnections() {
  auto now = Clock::now();
  auto idle_limit = std::chrono::milliseconds(server_->options_.idle_timeout_ms);
  auto head_limit = std::chrono::milliseconds(server_->options_.header_timeout_ms);
  auto handshake_limit = std::chrono::milliseconds(server_->options_.tls_handshake_timeout_ms);
  std::vector<Conn*> expired;
  for (auto& [id, conn] : conns_) {
    auto quiet = now - conn->last_activity;
    bool head_late = conn->head_started != Clock::time_point{} && !conn->draining &&
                     !conn->session.in_flight() && !conn->session.headers_done() &&
                     now - conn->head_started > head_limit;
    if (head_late) server_->header_timeouts_.fetch_add(1);
    if (head_late || (conn->draining && quiet > kDrainIdle) ||
        (conn->handshaking && now - conn->accepted_at > handshake_limit) ||
        (!conn->session.in_flight() && quiet > idle_limit)) {
      expired.push_back(conn.get());
    }
  }
  for (Conn* conn : expired) Close(conn);
}

void HttpServer::Loop::BeginShutdown() {
  shutting_down_ = true;
  if (!accept_paused_) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, server_->listen_fd_, nullptr);
  accept_paused_ = false;
  close(server_->listen_fd_);
  server_->listen_fd_ = -1;
  std::vector<Conn*> idle;
  for (auto& [id, conn] : conns_) {
    if (conn->session.idle() || conn->draining) idle.push_back(conn.get());
  }
  for (Conn* conn : idle) Close(conn);
  spdlog::info("shutting down: {} connection(s) finishing", conns_.size());
}

void HttpServer::Loop::Accept() {
  bool evicted_for_fd = false;
  while (!accept_paused_) {
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof(peer);
    int fd = accept4(server_->listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      backoff_.OnSuccess();
      Admit(fd, peer);
      continue;
    }
    int err = errno;
    if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;  // that one is gone
    if (err == EAGAIN || err == EWOULDBLOCK) return;
    if (IsAcceptResourceError(err)) {
      // Out of descriptors: one idle connection's descriptor is worth more to the client
      // knocking now (once per round, so a system-wide shortage does not empty the server).
      if ((err == EMFILE || err == ENFILE) && !evicted_for_fd && EvictOldestIdle()) {
        evicted_for_fd = true;
        continue;
      }
      PauseAccept(err);
      return;
    }
    errno = err;
    spdlog::error("{}", ErrnoText("accept"));
    PauseAccept(err);  // unknown trouble: do not spin on it either
    return;
  }
}

void HttpServer::Loop::Admit(int fd, const sockaddr_storage& peer) {
  const HttpServerOptions& options = server_->options_;
  std::string client = ClientKey(peer, options.loopback_exempt_from_client_limit);
  if (!client.empty() && options.max_connections_per_client > 0) {
    auto it = per_client_.find(client);
    if (it != per_client_.end() && it->second >= options.max_connections_per_client) {
      server_->refused_per_client_.fetch_add(1);
      NoteRefused("the client has max_connections_per_client open");
      close(fd);
      return;
    }
  }
  if (conns_.size() >= options.max_connections && !EvictOldestIdle()) {
    server_->refused_at_limit_.fetch_add(1);
    NoteRefused("max_connections are open and none is idle");
    close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  ParserLimits limits;
  limits.max_body_bytes = options.max_body_bytes;
  limits.budget = &server_->body_budget_;
  auto conn = std::make_unique<Conn>(limits);
  conn->fd = fd;
  conn->id = next_id_++;
  conn->last_activity = conn->accepted_at = Clock::now();
  conn->head_started = conn->last_activity;
  conn->events = EPOLLIN | EPOLLRDHUP;
  if (server_->tls_) {
    auto io = server_->tls_->NewServerConnection(fd);
    if (!io.ok()) {
      spdlog::error("TLS connection refused: {}", io.status().ToString());
      close(fd);
      return;
    }
    conn->io = std::move(io).value();
    conn->handshaking = true;
    conn->handshake_wants = EPOLLIN;  // the client speaks first
  } else {
    conn->io = MakePlainConnectionIo(fd);
  }
  epoll_event ev{};
  ev.events = conn->events;
  ev.data.u64 = conn->id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    spdlog::error("{}", ErrnoText("epoll_ctl add"));
    close(fd);
    return;
  }
  if (!client.empty()) ++per_client_[client];
  conn->client = std::move(client);
  conns_.emplace(conn->id, std::move(conn));
}

bool HttpServer::Loop::EvictOldestIdle() {
  auto now = Clock::now();
  auto min_idle = std::chrono::milliseconds(server_->options_.min_idle_ms_to_evict);
  Conn* oldest = nullptr;
  for (auto& [id, conn] : conns_) {
    if (conn->draining || !conn->session.idle() || now - conn->last_activity < min_idle) continue;
    if (oldest == nullptr || conn->last_activity < oldest->last_activity) oldest = conn.get();
  }
  if (oldest == nullptr) return false;
  server_->idle_evicted_.fetch_add(1);
  Close(oldest);
  return true;
}

void HttpServer::Loop::PauseAccept(int err) {
  server_->accept_resource_errors_.fetch_add(1);
  server_->accept_pauses_.fetch_add(1);
  AcceptBackoff::Decision d = backoff_.OnResourceError(Clock::now());
  if (d.log) {
    spdlog::error("accept: {} ({} failure(s) since the last report); not accepting for {} ms",
                  std::strerror(err), d.failures_to_report, d.pause.count());
  }
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, server_->listen_fd_, nullptr);
  accept_paused_ = true;
  resume_accept_at_ = Clock::now() + d.pause;
}

void HttpServer::Loop::ResumeAcceptIfDue() {
  if (!accept_paused_ || Clock::now() < resume_accept_at_) return;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, server_->listen_fd_, &ev) != 0) {
    resume_accept_at_ = Clock::now() + AcceptBackoff::kMaxPause;  // try again later
    return;
  }
  accept_paused_ = false;
}

void HttpServer::Loop::NoteRefused(const char* why) {
  ++refusals_unlogged_;
  auto now = Clock::now();
  if (now - last_refusal_log_ < std::chrono::seconds(1)) return;
  spdlog::warn("refused {} connection(s): {}", refusals_unlogged_, why);
  refusals_unlogged_ = 0;
  last_refusal_log_ = now;
}

void HttpServer::Loop::ReloadTls() {
  if (!server_->tls_) return;
  const HttpServerOptions& o = server_->options_;
  auto fresh = TlsContext::ForServer(o.tls_cert_file, o.tls_key_file);
  if (!fresh.ok()) {
    spdlog::error("TLS reload failed, keeping the current certificate: {}",
                  fresh.status().ToString());
    return;
  }
  server_->tls_ = std::move(fresh).value();  // open connections keep their own reference
  spdlog::info("TLS certificate {} reloaded", o.tls_cert_file);
}

// Drives the TLS handshake; the connection's epoll interest follows what OpenSSL waits for.
void HttpServer::Loop::ContinueHandshake(Conn* conn) {
  IoResult r = conn->io->Handshake();
  switch (r.outcome) {
    case IoOutcome::kDone:
      conn->handshaking = false;
      conn->last_activity = Clock::now();
      return;
    case IoOutcome::kWantRead:
      conn->handshake_wants = EPOLLIN;
      return;
    case IoOutcome::kWantWrite:
      conn->handshake_wants = EPOLLOUT;
      return;
    default:
      // Plain HTTP to the TLS port, a client that does not trust us, a scanner: just close.
      spdlog::debug("TLS handshake failed: {}", conn->io->last_error());
      Close(conn);
      return;
  }
}

void HttpServer::Loop::OnConnEvent(Conn* conn, uint32_t events) {
  uint64_t id = conn->id;
  bool readable = (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
  bool writable = (events & EPOLLOUT) != 0;
  if (conn->handshaking) {
    ContinueHandshake(conn);
    if (conns_.find(id) == conns_.end()) return;
    if (conn->handshaking) {
      UpdateInterest(conn);
      return;
    }
    readable = true;  // the first request may have arrived with the handshake's last flight
  }
  // With TLS a read may wait for writability and a write for readability.
  if (writable || (readable && conn->write_wants_read)) {
    Flush(conn);
    if (conns_.find(id) == conns_.end()) return;
  }
  if (readable || (writable && conn->read_wants_write)) {
    ReadFrom(conn);
    if (conns_.find(id) == conns_.end()) return;
  }
  Pump(conn);
}

void HttpServer::Loop::ReadFrom(Conn* conn) {
  uint64_t id = conn->id;
  while (conn->draining || conn->session.wants_input()) {
    IoResult r = conn->io->Read(read_buf_.data(), read_buf_.size());
    conn->read_wants_write = r.outcome == IoOutcome::kWantWrite;
    size_t n = r.bytes;
    if (r.outcome == IoOutcome::kDone) {
      conn->last_activity = Clock::now();
      if (conn->draining) {
        conn->drained += static_cast<uint64_t>(n);
        if (conn->drained > kMaxDrainBytes) {
          Close(conn);
          return;
        }
        continue;
      }
      conn->session.OnData(std::string_view(read_buf_.data(), n));
      if (conn->head_started == Clock::time_point{} && conn->session.reading_head()) {
        conn->head_started = conn->last_activity;
      }
      if (n < read_buf_.size() && conn->io->ShortReadDrains()) break;  // probably drained
      continue;
    }
    if (r.outcome == IoOutcome::kClosed) {
      if (conn->draining) {
        Close(conn);
        return;
      }
      conn->session.OnEof();
      break;
    }
    if (r.outcome == IoOutcome::kWantRead || r.outcome == IoOutcome::kWantWrite) break;
    // ECONNRESET, a TLS error and friends: nobody to answer.
    Close(conn);
    return;
  }
  (void)id;
}

void HttpServer::Loop::Pump(Conn* conn) {
  uint64_t id = conn->id;
  if (!conn->draining && !conn->session.in_flight()) {
    std::optional<HttpRequest> request = conn->session.NextRequest();
    if (request) {
      conn->head_started = Clock::time_point{};
      Dispatch(conn, std::move(*request));
    }
  }
  Flush(conn);
  if (conns_.find(id) == conns_.end()) return;
  if (conn->session.done() && !conn->draining) {
    if (conn->session.linger()) {
      // The peer may still be sending a body we refused; half-close and discard its bytes so
      // it can read our error response instead of getting a reset.
      conn->io->Shutdown();
      shutdown(conn->fd, SHUT_WR);
      conn->draining = true;
      conn->last_activity = Clock::now();
    } else {
      Close(conn);
      return;
    }
  }
  if (shutting_down_ && conn->session.idle() && !conn->draining) {
    Close(conn);
    return;
  }
  UpdateInterest(conn);
}

void HttpServer::Loop::Flush(Conn* conn) {
  while (true) {
    std::string_view out = conn->session.pending_output();
    if (out.empty()) return;
    IoResult r = conn->io->Write(out.data(), out.size());
    conn->write_wants_read = r.outcome == IoOutcome::kWantRead;
    if (r.outcome == IoOutcome::kDone && r.bytes > 0) {
      conn->session.ConsumeOutput(r.bytes);
      conn->last_activity = Clock::now();
      continue;
    }
    if (r.outcome == IoOutcome::kWantRead || r.outcome == IoOutcome::kWantWrite) return;
    Close(conn);  // EPIPE/ECONNRESET: the peer is gone
    return;
  }
}

void HttpServer::Loop::UpdateInterest(Conn* conn) {
  // Without EPOLLIN we also drop EPOLLRDHUP: a level-triggered hang-up we do not read would
  // wake the loop in a spin until the request in flight completes.
  // TLS: a read that waits for writability asks for EPOLLOUT and a write that waits for
  // readability for EPOLLIN.
  uint32_t want = 0;
  if (conn->handshaking) {
    want = conn->handshake_wants;
  } else {
    if (conn->draining || conn->session.wants_input()) {
      want |= conn->read_wants_write ? EPOLLOUT : EPOLLIN | EPOLLRDHUP;
    }
    if (!conn->session.pending_output().empty()) {
      want |= conn->write_wants_read ? EPOLLIN | EPOLLRDHUP : EPOLLOUT;
    }
  }
  if (want == conn->events) return;
  conn->events = want;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = conn->id;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn->fd, &ev);
}

void HttpServer::Loop::Close(Conn* conn) {
  if (!conn->client.empty()) {
    auto it = per_client_.find(conn->client);
    if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
  }
  conn->io->Shutdown();  // TLS close_notify, best effort
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn->fd, nullptr);
  close(conn->fd);
  conns_.erase(conn->id);  // destroys *conn
}

void HttpServer::Loop::Dispatch(Conn* conn, HttpRequest request) {
  uint64_t id = conn->id;
  auto& lanes = server_->lanes_;
  size_t lane = server_->options_.lane_of ? server_->options_.lane_of(request) : 0;
  WorkerPool& pool = *lanes[std::min(lane, lanes.size() - 1)];
  std::string method = request.method, target = request.target;  // TrySubmit may drop request
  bool queued = pool.TrySubmit([this, id, request = std::move(request)]() {
    auto start = Clock::now();
    HttpResponse response;
    response.headers.emplace_back("x-elastic-product", "Elasticsearch");
    try {
      server_->handler_(request, &response);
    } catch (const std::exception& e) {
      // Nothing should throw past a handler; if a library does, answer 500 and keep serving.
      SetErrorResponse(500, "exception", std::string("internal error: ") + e.what(), &response);
    } catch (...) {
      SetErrorResponse(500, "exception", "internal error", &response);
    }
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (response.status >= 500) {
      spdlog::error("{} {} -> {} ({:.2f} ms): {}", request.method, request.target,
                    response.status, ms, LoggableBody(response.body));
    } else if (response.status >= 400) {
      spdlog::info("{} {} -> {} ({:.2f} ms): {}", request.method, request.target,
                   response.status, ms, LoggableBody(response.body));
    } else {
      spdlog::debug("{} {} -> {} ({:.2f} ms, {} bytes)", request.method, request.target,
                    response.status, ms, response.body.size());
    }
    Complete(id, std::move(response));
  });
  if (queued) return;
  // Answered through the completion path like any response, so the connection stays usable and
  // its next pipelined request is taken up as usual.
  WorkerPoolStats stats = pool.Stats();
  HttpResponse response;
  response.headers.emplace_back("x-elastic-product", "Elasticsearch");
  SetErrorResponse(Status::ResourceExhausted(
                       "rejected execution of [" + method + " " + target + "] on thread pool [" +
                       stats.name + "]: queue capacity = " + std::to_string(stats.queue_capacity) +
                       ", active threads = " + std::to_string(stats.active) +
                       ", queued tasks = " + std::to_string(stats.queue) +
                       ", rejected = " + std::to_string(stats.rejected))
                       .WithKind(ErrorKind::kQueueFull),
                   &response);
  spdlog::debug("{} {} -> 429: lane [{}] queue full ({} queued)", method, target, stats.name,
                stats.queue);
  Complete(id, std::move(response));
}

void HttpServer::Loop::Complete(uint64_t conn_id, HttpResponse response) {
  {
    std::lock_guard<std::mutex> lock(done_mu_);
    done_.push_back(Done{conn_id, std::move(response)});
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(server_->wake_fd_, &one, sizeof(one));
}

void HttpServer::Loop::DrainCompletions() {
  std::vector<Done> done;
  {
    std::lock_guard<std::mutex> lock(done_mu_);
    done.swap(done_);
  }
  for (Done& d : done) {
    auto it = conns_.find(d.conn_id);
    if (it == conns_.end()) continue;  // the client went away meanwhile
    Conn* conn = it->second.get();
    // Once Stop() was called, answers say "connection: close" even before the loop has begun
    // the shutdown itself.
    conn->session.OnResponse(d.response,
                             /*force_close=*/shutting_down_ || server_->stop_requested_.load());
    if (conn->io->HasBufferedInput() && conn->session.wants_input()) {
      // TLS input decrypted before back-pressure stopped reading: epoll will not report it.
      ReadFrom(conn);
      if (conns_.find(d.conn_id) == conns_.end()) continue;
    }
    Pump(conn);  // sends, and starts the next pipelined request if any
  }
}

}  // namespace lookalike::server
