// TLS (OpenSSL) for the HTTP transport and the CLI's client: a context built once from PEM
// files, and ConnectionIo objects (net/connection_io.h) that run TLS over a socket.
//
// Policy: TLS 1.2 and 1.3 only; TLS 1.2 limited to ECDHE key exchange with AEAD ciphers (GCM,
// ChaCha20-Poly1305), TLS 1.3 with OpenSSL's defaults; no compression, no renegotiation. A peer
// that closes the TCP connection without close_notify is treated as a normal EOF (HTTP frames
// its messages itself, so truncation is detected one level up).
//
// Socket writes use send(MSG_NOSIGNAL): a peer that goes away never raises SIGPIPE, whether or
// not the process ignores it.
//
// Thread safety: a TlsContext is immutable after creation and may be shared between threads
// (each connection object keeps the OpenSSL context alive by itself, so a context may be
// replaced, e.g. on reload, while its connections continue). A connection object is driven by
// one thread.
#pragma once

#include <memory>
#include <string>

#include "lookalike/status.h"
#include "net/connection_io.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace lookalike::net {

class TlsContext {
 public:
  /// A server context from a PEM certificate chain (leaf first) and its PEM private key.
  /// InvalidArgument naming the file when one is missing or unreadable, is not PEM, or the key
  /// does not belong to the certificate. Logs a warning when the key file can be read by group
  /// or others.
  static Result<std::shared_ptr<TlsContext>> ForServer(const std::string& cert_file,
                                                       const std::string& key_file);

  /// A client context. With `verify_peer`, the server's certificate must chain to `ca_file`
  /// (PEM, one or more certificates) or, when `ca_file` is empty, to the system's trust store,
  /// and must name the host passed to NewClientConnection. Without it anything is accepted
  /// (--insecure-tls).
  static Result<std::shared_ptr<TlsContext>> ForClient(const std::string& ca_file,
                                                       bool verify_peer);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  /// TLS over an accepted socket (blocking or not); Handshake() runs the server side.
  Result<std::unique_ptr<ConnectionIo>> NewServerConnection(int fd) const;
  /// TLS over a connected socket; `host` (DNS name or IP literal) is sent as SNI and checked
  /// against the certificate when the context verifies peers.
  Result<std::unique_ptr<ConnectionIo>> NewClientConnection(int fd, const std::string& host) const;

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;  // owned (one reference)
};

}  // namespace lookalike::net
