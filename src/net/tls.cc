// TLS with OpenSSL; see tls.h.
#include "net/tls.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace lookalike::net {
namespace {

// TLS 1.2 suites: forward secrecy (ECDHE) and AEAD only. TLS 1.3 suites are all AEAD already.
constexpr const char* kTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";

// Everything in OpenSSL's error queue, oldest first, as one line (and the queue emptied).
std::string DrainSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    char buf[256];
    if (reason == nullptr) {
      ERR_error_string_n(code, buf, sizeof(buf));
      reason = buf;
    }
    if (!out.empty()) out += "; ";
    out += reason;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// --- A socket BIO whose writes use send(MSG_NOSIGNAL) -------------------------------------
// OpenSSL's own socket BIO writes with write(), which raises SIGPIPE when the peer is gone.

int SocketOf(BIO* bio) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio))); }

int NoSigpipeWrite(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  while (true) {
    ssize_t n = ::send(SocketOf(bio), data, static_cast<size_t>(size), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(bio);
    return -1;
  }
}

int NoSigpipeRead(BIO* bio, char* buffer, int size) {
  BIO_clear_retry_flags(bio);
  while (true) {
    ssize_t n = ::recv(SocketOf(bio), buffer, static_cast<size_t>(size), 0);
    if (n > 0) return static_cast<int>(n);
    if (n == 0) {
      // Lets OpenSSL tell a TCP EOF (BIO_eof) from an error.
      BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(bio);
    return -1;
  }
}

long NoSigpipeCtrl(BIO* bio, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing is buffered here
    case BIO_CTRL_EOF:
      return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    default:
      return 0;
  }
}

// Created once, never changed afterwards.
const BIO_METHOD* NoSigpipeSocketMethod() {
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "lookalike socket");
    if (m == nullptr) return static_cast<BIO_METHOD*>(nullptr);
    BIO_meth_set_write(m, NoSigpipeWrite);
    BIO_meth_set_read(m, NoSigpipeRead);
    BIO_meth_set_ctrl(m, NoSigpipeCtrl);
    return m;
  }();
  return method;
}

// --- One TLS session over a socket --------------------------------------------------------

class TlsConnectionIo final : public ConnectionIo {
 public:
  explicit TlsConnectionIo(SSL* ssl) : ssl_(ssl) {}
  ~TlsConnectionIo() override { SSL_free(ssl_); }

  IoResult Handshake() override {
    ERR_clear_error();
    int rc = SSL_do_handshake(ssl_);
    if (rc == 1) return {IoOutcome::kDone, 0};
    IoResult result = FromSslError(rc);
    if (result.outcome == IoOutcome::kClosed) {
      last_error_ = "the peer closed the connection during the TLS handshake";
      result.outcome = IoOutcome::kFailed;
    }
    long verify = SSL_get_verify_result(ssl_);
    if (result.outcome == IoOutcome::kFailed && verify != X509_V_OK) {
      last_error_ =
          std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
    }
    return result;
  }

  IoResult Read(char* buffer, size_t capacity) override {
    ERR_clear_error();
    size_t n = 0;
    int rc = SSL_read_ex(ssl_, buffer, capacity, &n);
    if (rc == 1) return {IoOutcome::kDone, n};
    return FromSslError(rc);
  }

  IoResult Write(const char* data, size_t size) override {
    ERR_clear_error();
    size_t n = 0;
    int rc = SSL_write_ex(ssl_, data, size, &n);
    if (rc == 1) return {IoOutcome::kDone, n};
    return FromSslError(rc);
  }

  void Shutdown() override {
    if (fatal_ || shutdown_sent_ || !SSL_is_init_finished(ssl_)) return;
    shutdown_sent_ = true;
    ERR_clear_error();
    SSL_shutdown(ssl_);  // queues and tries to send close_notify; never waits for the peer's
    ERR_clear_error();
  }

  bool ShortReadDrains() const override { return false; }
  bool HasBufferedInput() const override { return SSL_has_pending(ssl_) == 1; }
  const std::string& last_error() const override { return last_error_; }

 private:
  IoResult FromSslError(int rc) {
    int saved_errno = errno;
    switch (SSL_get_error(ssl_, rc)) {
      case SSL_ERROR_WANT_READ:
        return {IoOutcome::kWantRead, 0};
      case SSL_ERROR_WANT_WRITE:
        return {IoOutcome::kWantWrite, 0};
      case SSL_ERROR_ZERO_RETURN:
        return {IoOutcome::kClosed, 0};
      case SSL_ERROR_SYSCALL:
        fatal_ = true;
        if (ERR_peek_error() == 0) {
          last_error_ = saved_errno != 0 ? std::strerror(saved_errno) : "connection closed";
          if (saved_errno == 0) return {IoOutcome::kClosed, 0};
        } else {
          last_error_ = DrainSslErrors();
        }
        return {IoOutcome::kFailed, 0};
      default:
        fatal_ = true;
        last_error_ = DrainSslErrors();
        return {IoOutcome::kFailed, 0};
    }
  }

  SSL* ssl_;
  bool fatal_ = false;  // after SSL_ERROR_SSL/SYSCALL OpenSSL forbids SSL_shutdown
  bool shutdown_sent_ = false;
  std::string last_error_;
};

Result<SSL*> NewSsl(SSL_CTX* ctx, int fd) {
  const BIO_METHOD* method = NoSigpipeSocketMethod();
  if (method == nullptr) return Status::IOError("cannot create the TLS socket BIO");
  SSL* ssl = SSL_new(ctx);
  BIO* bio = BIO_new(method);
  if (ssl == nullptr || bio == nullptr) {
    SSL_free(ssl);
    BIO_free(bio);
    return Status::ResourceExhausted("cannot create a TLS session: " + DrainSslErrors());
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);  // one reference, owned by ssl
  return ssl;
}

// Settings shared by server and client contexts.
Status ApplyPolicy(SSL_CTX* ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Partial writes and a moving buffer: the transport retries with its output buffer, which
  // may have grown (and moved) since the call that would have blocked.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    return Status::IOError("cannot set TLS ciphers: " + DrainSslErrors());
  }
  // Never prompt on the terminal for a key passphrase: an encrypted key fails to load instead.
  SSL_CTX_set_default_passwd_cb(ctx, [](char*, int, int, void*) { return 0; });
  return Status::OK();
}

Status CheckReadableFile(const std::string& path, const char* what) {
  struct stat st {};
  if (path.empty()) return Status::InvalidArgument(std::string("no TLS ") + what + " file given");
  if (::stat(path.c_str(), &st) != 0 || ::access(path.c_str(), R_OK) != 0) {
    return Status::InvalidArgument(std::string("TLS ") + what + " file " + path + ": " +
                                   std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(std::string("TLS ") + what + " file " + path +
                                   " is not a regular file");
  }
  return Status::OK();
}

void WarnIfKeyIsShared(const std::string& key_file) {
  struct stat st {};
  if (::stat(key_file.c_str(), &st) != 0) return;
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    spdlog::warn("TLS key file {} can be read by group or others (mode {:o}); chmod 600 it",
                 key_file, st.st_mode & 0777);
  }
}

struct CtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxDeleter>;

}  // namespace

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Result<std::shared_ptr<TlsContext>> TlsContext::ForServer(const std::string& cert_file,
                                                          const std::string& key_file) {
  LOOKALIKE_RETURN_IF_ERROR(CheckReadableFile(cert_file, "certificate"));
  LOOKALIKE_RETURN_IF_ERROR(CheckReadableFile(key_file, "key"));
  ERR_clear_error();
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return Status::IOError("cannot create a TLS context: " + DrainSslErrors());
  LOOKALIKE_RETURN_IF_ERROR(ApplyPolicy(ctx.get()));
  SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
    return Status::InvalidArgument("cannot load TLS certificate " + cert_file + ": " +
                                   DrainSslErrors());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return Status::InvalidArgument("TLS key " + key_file + " does not match certificate " +
                                     cert_file);
    }
    return Status::InvalidArgument("cannot load TLS key " + key_file + ": " + DrainSslErrors());
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return Status::InvalidArgument("TLS key " + key_file + " does not match certificate " +
                                   cert_file + ": " + DrainSslErrors());
  }
  WarnIfKeyIsShared(key_file);
  return std::shared_ptr<TlsContext>(new TlsContext(ctx.release()));
}

Result<std::shared_ptr<TlsContext>> TlsContext::ForClient(const std::string& ca_file,
                                                          bool verify_peer) {
  ERR_clear_error();
  CtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return Status::IOError("cannot create a TLS context: " + DrainSslErrors());
  LOOKALIKE_RETURN_IF_ERROR(ApplyPolicy(ctx.get()));
  if (verify_peer) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (!ca_file.empty()) {
      LOOKALIKE_RETURN_IF_ERROR(CheckReadableFile(ca_file, "CA certificate"));
      if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1) {
        return Status::InvalidArgument("cannot load CA certificates from " + ca_file + ": " +
                                       DrainSslErrors());
      }
    } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
      return Status::IOError("cannot load the system's CA certificates: " + DrainSslErrors());
    }
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  return std::shared_ptr<TlsContext>(new TlsContext(ctx.release()));
}

Result<std::unique_ptr<ConnectionIo>> TlsContext::NewServerConnection(int fd) const {
  LOOKALIKE_ASSIGN_OR_RETURN(SSL * ssl, NewSsl(ctx_, fd));
  SSL_set_accept_state(ssl);
  return std::unique_ptr<ConnectionIo>(std::make_unique<TlsConnectionIo>(ssl));
}

Result<std::unique_ptr<ConnectionIo>> TlsContext::NewClientConnection(
    int fd, const std::string& host) const {
  LOOKALIKE_ASSIGN_OR_RETURN(SSL * ssl, NewSsl(ctx_, fd));
  auto io = std::make_unique<TlsConnectionIo>(ssl);  // frees ssl on every path below
  SSL_set_connect_state(ssl);
  in6_addr ip{};
  bool is_ip =
      inet_pton(AF_INET, host.c_str(), &ip) == 1 || inet_pton(AF_INET6, host.c_str(), &ip) == 1;
  bool named = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1
                     : SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 &&
                           SSL_set1_host(ssl, host.c_str()) == 1;
  if (!named) {
    return Status::InvalidArgument("cannot use '" + host +
                                   "' as TLS server name: " + DrainSslErrors());
  }
  return std::unique_ptr<ConnectionIo>(std::move(io));
}

}  // namespace lookalike::net
