// TLS: the ConnectionIo layer over a non-blocking socketpair (handshake, megabytes both ways at
// once, close_notify, a peer that leaves mid-handshake, plain bytes, untrusted or misnamed
// certificates), loading errors, and the epoll transport serving HTTPS (plain HTTP and a
// silent client on the TLS port are closed, not left hanging).
//
// Certificates are made at test time with the `openssl` command; no key is committed.
#include "net/tls.h"
#include "response_framing.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "server/http/http_server.h"

namespace lookalike::server {
namespace {

using net::ConnectionIo;
using net::IoOutcome;
using net::IoResult;
using net::MakePlainConnectionIo;
using net::TlsContext;

namespace fs = std::filesystem;

// A temporary folder with two self-signed certificates ("cert" for localhost/127.0.0.1 and an
// unrelated "other"), shared by all tests of this file.
class Certificates {
 public:
  Certificates() {
    char tmpl[] = "/tmp/lookalike-tls-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    ok_ = Make("cert", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1") &&
          Make("other", "/CN=other", "subjectAltName=DNS:other");
  }
  ~Certificates() { fs::remove_all(dir_); }
  bool ok() const { return ok_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name + ".pem"; }

 private:
  bool Make(const std::string& name, const std::string& subject, const std::string& san) {
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -days 2 -subj " +
        subject + " -addext " + san + " -keyout " + Path(name + "_key") + " -out " + Path(name) +
        " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return false;
    chmod(Path(name + "_key").c_str(), 0600);
    return true;
  }
  std::string dir_;
  bool ok_ = false;
};

const Certificates& Certs() {
  static const Certificates certs;
  return certs;
}

std::shared_ptr<TlsContext> ServerContext() {
  auto ctx = TlsContext::ForServer(Certs().Path("cert"), Certs().Path("cert_key"));
  EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
  return ctx.ok() ? *ctx : nullptr;
}

std::shared_ptr<TlsContext> ClientContext(const std::string& ca = "cert") {
  auto ctx = TlsContext::ForClient(Certs().Path(ca), /*verify_peer=*/true);
  EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
  return ctx.ok() ? *ctx : nullptr;
}

// Two connected non-blocking stream sockets, closed at the end.
struct SocketPair {
  int server = -1;
  int client = -1;
  SocketPair() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0) {
      server = fds[0];
      client = fds[1];
    }
  }
  ~SocketPair() {
    if (server >= 0) close(server);
    if (client >= 0) close(client);
  }
};

bool Waiting(const IoResult& r) {
  return r.outcome == IoOutcome::kWantRead || r.outcome == IoOutcome::kWantWrite;
}

// Runs both handshakes in turns until neither waits; returns the two final outcomes.
std::pair<IoOutcome, IoOutcome> HandshakeBoth(ConnectionIo* server, ConnectionIo* client) {
  IoResult s{IoOutcome::kWantRead, 0};
  IoResult c{IoOutcome::kWantRead, 0};
  for (int round = 0; round < 1000 && (Waiting(s) || Waiting(c)); ++round) {
    if (Waiting(c)) c = client->Handshake();
    if (Waiting(s)) s = server->Handshake();
  }
  return {s.outcome, c.outcome};
}

class TlsIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Certs().ok()) << "the openssl command could not make a test certificate";
    ASSERT_GE(pair_.server, 0);
  }
  // Server and client IO over the pair; the client checks the name `host`.
  void Connect(const std::string& ca = "cert", const std::string& host = "localhost") {
    server_ctx_ = ServerContext();
    client_ctx_ = ClientContext(ca);
    ASSERT_TRUE(server_ctx_ && client_ctx_);
    auto s = server_ctx_->NewServerConnection(pair_.server);
    auto c = client_ctx_->NewClientConnection(pair_.client, host);
    ASSERT_TRUE(s.ok() && c.ok());
    server_ = std::move(s).value();
    client_ = std::move(c).value();
  }

  SocketPair pair_;
  std::shared_ptr<TlsContext> server_ctx_, client_ctx_;
  std::unique_ptr<ConnectionIo> server_, client_;
};

TEST_F(TlsIoTest, HandshakeThenMegabytesBothWaysAtOnce) {
  Connect();
  auto [s, c] = HandshakeBoth(server_.get(), client_.get());
  ASSERT_EQ(s, IoOutcome::kDone) << server_->last_error();
  ASSERT_EQ(c, IoOutcome::kDone) << client_->last_error();

  // Both sides write 3 MB while reading the other's: with the socket buffers far smaller, each
  // write blocks until the other side reads, so this only finishes if want-read/want-write
  // results are retried correctly.
  constexpr size_t kSize = 3 << 20;
  std::string up(kSize, '\0'), down(kSize, '\0');
  for (size_t i = 0; i < kSize; ++i) {
    up[i] = static_cast<char>(i * 7 + 1);
    down[i] = static_cast<char>(i * 13 + 5);
  }
  std::string got_up, got_down;
  size_t sent_up = 0, sent_down = 0;
  std::string buf(64 * 1024, '\0');
  for (int round = 0; round < 1000000 && (got_up.size() < kSize || got_down.size() < kSize);
       ++round) {
    if (sent_up < kSize) {
      IoResult r = client_->Write(up.data() + sent_up, kSize - sent_up);
      ASSERT_TRUE(r.outcome == IoOutcome::kDone || Waiting(r)) << client_->last_error();
      sent_up += r.bytes;
    }
    if (sent_down < kSize) {
      IoResult r = server_->Write(down.data() + sent_down, kSize - sent_down);
      ASSERT_TRUE(r.outcome == IoOutcome::kDone || Waiting(r)) << server_->last_error();
      sent_down += r.bytes;
    }
    IoResult r = server_->Read(buf.data(), buf.size());
    ASSERT_TRUE(r.outcome == IoOutcome::kDone || Waiting(r)) << server_->last_error();
    got_up.append(buf.data(), r.bytes);
    r = client_->Read(buf.data(), buf.size());
    ASSERT_TRUE(r.outcome == IoOutcome::kDone || Waiting(r)) << client_->last_error();
    got_down.append(buf.data(), r.bytes);
  }
  EXPECT_TRUE(got_up == up);
  EXPECT_TRUE(got_down == down);
}

TEST_F(TlsIoTest, ShutdownSendsCloseNotify) {
  Connect();
  auto [s, c] = HandshakeBoth(server_.get(), client_.get());
  ASSERT_EQ(s, IoOutcome::kDone);
  ASSERT_EQ(c, IoOutcome::kDone);
  server_->Shutdown();
  char byte;
  IoResult r{IoOutcome::kWantRead, 0};
  for (int i = 0; i < 100 && Waiting(r); ++i) r = client_->Read(&byte, 1);
  EXPECT_EQ(r.outcome, IoOutcome::kClosed);  // a clean TLS EOF, not an error
}

TEST_F(TlsIoTest, PeerClosingMidHandshakeFailsWithoutHanging) {
  Connect();
  ASSERT_TRUE(Waiting(client_->Handshake()));  // ClientHello sent, waiting for the answer
  close(pair_.client);
  pair_.client = -1;
  IoResult r{IoOutcome::kWantRead, 0};
  // The server may first answer (its write then fails: no SIGPIPE) or see EOF at once.
  for (int i = 0; i < 100 && (Waiting(r) || r.outcome == IoOutcome::kDone); ++i) {
    r = server_->Handshake();
  }
  EXPECT_EQ(r.outcome, IoOutcome::kFailed);
  EXPECT_FALSE(server_->last_error().empty());
  server_->Shutdown();  // must be harmless after a failed handshake
}

TEST_F(TlsIoTest, PlainHttpToTheTlsSideFailsTheHandshake) {
  Connect();
  std::string_view request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(pair_.client, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  IoResult r = server_->Handshake();
  EXPECT_EQ(r.outcome, IoOutcome::kFailed);
}

TEST_F(TlsIoTest, UntrustedCertificateIsRejectedByTheClient) {
  Connect(/*ca=*/"other");
  auto [s, c] = HandshakeBoth(server_.get(), client_.get());
  EXPECT_EQ(c, IoOutcome::kFailed);
  EXPECT_NE(client_->last_error().find("certificate verify failed"), std::string::npos)
      << client_->last_error();
  EXPECT_NE(s, IoOutcome::kDone);
}

TEST_F(TlsIoTest, CertificateForAnotherNameIsRejectedByTheClient) {
  Connect("cert", /*host=*/"example.com");
  auto [s, c] = HandshakeBoth(server_.get(), client_.get());
  EXPECT_EQ(c, IoOutcome::kFailed);
  EXPECT_NE(client_->last_error().find("certificate verify failed"), std::string::npos)
      << client_->last_error();
}

TEST_F(TlsIoTest, IpAddressIsCheckedAgainstTheCertificate) {
  Connect("cert", /*host=*/"127.0.0.1");
  auto [s, c] = HandshakeBoth(server_.get(), client_.get());
  EXPECT_EQ(c, IoOutcome::kDone) << client_->last_error();
  EXPECT_EQ(s, IoOutcome::kDone) << server_->last_error();
}

TEST(TlsContextTest, MissingOrMismatchedFilesAreClearErrors) {
  ASSERT_TRUE(Certs().ok());
  auto missing = TlsContext::ForServer("/nonexistent/cert.pem", Certs().Path("cert_key"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().ToString().find("/nonexistent/cert.pem"), std::string::npos);
  auto mismatch = TlsContext::ForServer(Certs().Path("cert"), Certs().Path("other_key"));
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().ToString().find("does not match"), std::string::npos)
      << mismatch.status().ToString();
  auto not_pem = TlsContext::ForServer("/etc/hostname", Certs().Path("cert_key"));
  EXPECT_FALSE(not_pem.ok());
  auto bad_ca = TlsContext::ForClient("/nonexistent/ca.pem", true);
  EXPECT_FALSE(bad_ca.ok());
  // No CA file: the system store (may be empty in a container, but loading must work).
  EXPECT_TRUE(TlsContext::ForClient("", true).ok());
}

// --- The epoll transport with TLS ---------------------------------------------------------

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{10, 0};  // a hang shows up as EAGAIN instead of blocking the test forever
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// Reads one response (headers + content-length body) through `io` (blocking socket).
std::string ReadResponse(ConnectionIo* io) {
  std::string buf;
  char tmp[16384];
  while (true) {
    if (size_t done = testing::CompleteResponseSize(buf)) return buf.substr(0, done);
    IoResult r = io->Read(tmp, sizeof(tmp));
    if (r.outcome != IoOutcome::kDone) return buf;
    buf.append(tmp, r.bytes);
  }
}

bool WriteAll(ConnectionIo* io, std::string_view data) {
  while (!data.empty()) {
    IoResult r = io->Write(data.data(), data.size());
    if (r.outcome != IoOutcome::kDone) return false;
    data.remove_prefix(r.bytes);
  }
  return true;
}

class HttpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Certs().ok());
    HttpServerOptions options;
    options.port = 0;
    options.worker_threads = 2;
    options.max_body_bytes = size_t{64} << 20;
    options.tls_cert_file = Certs().Path("cert");
    options.tls_key_file = Certs().Path("cert_key");
    options.tls_handshake_timeout_ms = 300;
    server_ = std::make_unique<HttpServer>(options, [](const HttpRequest& r, HttpResponse* resp) {
      // Keeps a request in flight while the client pipelines more than the session buffers.
      if (r.path == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(300));
      resp->body = r.path == "/big" ? std::string(size_t{5} << 20, 'x')
                                    : "echo " + r.path + " " + std::to_string(r.body.size());
    });
    Status st = server_->Listen();
    ASSERT_TRUE(st.ok()) << st.ToString();
    thread_ = std::thread([this] { run_status_ = server_->Run(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
    EXPECT_TRUE(run_status_.ok());
  }

  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  Status run_status_;
};

TEST_F(HttpsServerTest, ServesRequestsAndLargeBodiesOverTls) {
  int fd = ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);
  auto ctx = ClientContext();
  auto io = ctx->NewClientConnection(fd, "127.0.0.1");
  ASSERT_TRUE(io.ok());
  ASSERT_EQ((*io)->Handshake().outcome, IoOutcome::kDone) << (*io)->last_error();
  ASSERT_TRUE(WriteAll(io->get(), "GET /x HTTP/1.1\r\n\r\n"));
  EXPECT_NE(ReadResponse(io->get()).find("echo /x 0"), std::string::npos);
  // 20 MB up on the same keep-alive connection, then 5 MB down.
  std::string body(size_t{20} << 20, 'b');
  ASSERT_TRUE(WriteAll(io->get(), "POST /up HTTP/1.1\r\nContent-Length: " +
                                      std::to_string(body.size()) + "\r\n\r\n"));
  ASSERT_TRUE(WriteAll(io->get(), body));
  EXPECT_NE(ReadResponse(io->get()).find("echo /up 20971520"), std::string::npos);
  ASSERT_TRUE(WriteAll(io->get(), "GET /big HTTP/1.1\r\n\r\n"));
  std::string big = ReadResponse(io->get());
  EXPECT_NE(big.find("content-length: 5242880"), std::string::npos);
  EXPECT_EQ(big.size() - big.find("\r\n\r\n") - 4, size_t{5} << 20);
  (*io)->Shutdown();
  io->reset();
  close(fd);
}

TEST_F(HttpsServerTest, PipelinedRequestsBeyondTheBufferAllGetAnswers) {
  // 128 x 64 KiB pipelined behind a slow request: the session stops taking input at 4 MiB, so
  // the loop must pick the rest up from TLS once the slow one is answered.
  int fd = ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);
  auto ctx = ClientContext();
  auto io = ctx->NewClientConnection(fd, "localhost");
  ASSERT_TRUE(io.ok());
  ASSERT_EQ((*io)->Handshake().outcome, IoOutcome::kDone) << (*io)->last_error();
  constexpr int kRequests = 128;
  std::string pipelined = "GET /slow HTTP/1.1\r\n\r\n";
  std::string body(64 * 1024, 'p');
  for (int i = 0; i < kRequests; ++i) {
    pipelined += "POST /p" + std::to_string(i) +
                 " HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  ASSERT_TRUE(WriteAll(io->get(), pipelined));
  EXPECT_NE(ReadResponse(io->get()).find("echo /slow 0"), std::string::npos);
  for (int i = 0; i < kRequests; ++i) {
    std::string response = ReadResponse(io->get());
    ASSERT_NE(response.find("echo /p" + std::to_string(i) + " 65536"), std::string::npos)
        << "response " << i << ": " << response;
  }
  io->reset();
  close(fd);
}

TEST_F(HttpsServerTest, PlainHttpOnTheTlsPortIsClosedNotLeftHanging) {
  int fd = ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);
  std::string_view request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[1024];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
  }  // a TLS alert may come first; then EOF
  EXPECT_TRUE(n == 0 || errno == ECONNRESET) << "recv: " << std::strerror(errno);
  close(fd);
}

TEST_F(HttpsServerTest, SilentClientIsDroppedAfterTheHandshakeTimeout) {
  int fd = ConnectLoopback(server_->port());
  ASSERT_GE(fd, 0);
  char c;
  ssize_t n = recv(fd, &c, 1, 0);  // 300 ms handshake timeout, 10 s receive timeout
  EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << "recv: " << std::strerror(errno);
  close(fd);
}

TEST(HttpsServerSetupTest, ListenFailsOnAMismatchedKey) {
  ASSERT_TRUE(Certs().ok());
  HttpServerOptions options;
  options.port = 0;
  options.tls_cert_file = Certs().Path("cert");
  options.tls_key_file = Certs().Path("other_key");
  HttpServer server(options, [](const HttpRequest&, HttpResponse*) {});
  Status st = server.Listen();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("does not match"), std::string::npos) << st.ToString();
  HttpServerOptions half;
  half.port = 0;
  half.tls_cert_file = Certs().Path("cert");
  EXPECT_FALSE(HttpServer(half, [](const HttpRequest&, HttpResponse*) {}).Listen().ok());
}

}  // namespace
}  // namespace lookalike::server
