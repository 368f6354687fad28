// A small blocking HTTP/1.1 client for the command-line tools (ingest-images --server,
// search-image --server) and the cluster layer (src/cluster: the etcd client, and the scatter
// coordinator, which keeps one request in flight on each of several clients from one thread):
// one keep-alive connection, Content-Length or chunked responses, reconnect once when a
// kept-alive connection turns out to be closed. http:// or https:// (TLS 1.2+, the server's
// certificate verified against --ca-cert or the system's trust store, and its name against the
// URL's host, unless --insecure-tls).
//
// Thread safety: none; one client is used by one thread at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lookalike/status.h"

namespace lookalike::net {

class ConnectionIo;
class TlsContext;

/// How an https:// client checks the server (ignored for http://).
struct HttpClientTls {
  std::string ca_file;    // PEM CA certificate(s) to trust; "" = the system's trust store
  bool insecure = false;  // accept any certificate (testing only)
};

struct HttpClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

class HttpClient {
 public:
  /// `base_url` is "http[s]://host[:port][/prefix]"; the port defaults to 80 (http) or 443
  /// (https). InvalidArgument for a malformed URL or an unusable --ca-cert file.
  static Result<HttpClient> Create(std::string_view base_url, const HttpClientTls& tls = {});

  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  /// Sends `method path` (path starts with '/', already URL-encoded) with an optional body and
  /// returns the response, whatever its status. IOError when the server cannot be reached, the
  /// TLS handshake fails (e.g. the certificate is not trusted) or the connection fails
  /// mid-request.
  Result<HttpClientResponse> Send(std::string_view method, std::string_view path,
                                  std::string_view body = {},
                                  std::string_view content_type = "application/json");

  /// Send in two halves, so that one thread can have requests to several servers in flight
  /// (the cluster coordinator's scatter): BeginRequest connects if needed and writes the
  /// request; FinishRequest reads the answer. `body` must stay valid until FinishRequest
  /// returns (a kept-alive connection the server closed meanwhile is re-dialled and the
  /// request written again, as Send does). Errors as for Send; after a failed BeginRequest
  /// there is nothing to finish. Exactly one FinishRequest follows each successful
  /// BeginRequest, and no other call comes between them except socket_fd().
  Status BeginRequest(std::string_view method, std::string_view path, std::string_view body = {},
                      std::string_view content_type = "application/json");
  Result<HttpClientResponse> FinishRequest();

  /// The connected socket (-1 when not connected). Between BeginRequest and FinishRequest it
  /// becomes readable (poll POLLIN) once the answer starts to arrive: nothing of it has been
  /// read yet, and nothing is buffered above the socket.
  int socket_fd() const { return fd_; }

  /// Receives body bytes as they arrive; returning false ends the exchange (the connection is
  /// closed, the rest of the response is not read).
  using BodySink = std::function<bool(std::string_view)>;

  /// Like Send, for responses that stream (etcd's watch, long polls): the status and headers
  /// are returned once the whole body was delivered to `sink`, the sink asked to stop, or
  /// `*stop` (checked at least every 100 ms while waiting for bytes) became true. The
  /// returned response's body is empty; a streamed exchange never keeps the connection.
  /// IOError as for Send, and when `*stop` ended the exchange.
  Result<HttpClientResponse> SendStreaming(std::string_view method, std::string_view path,
                                           std::string_view body, const BodySink& sink,
                                           const std::atomic<bool>* stop);

  /// Fails a request whose response does not progress for `timeout` (no byte received) with
  /// IOError ("timed out"); zero (the default) waits for ever. Connecting is not covered: a
  /// refused port fails at once, an unroutable host takes the kernel's connect timeout.
  void SetReceiveTimeout(std::chrono::milliseconds timeout) { receive_timeout_ = timeout; }

  /// Sends `Authorization: <value>` with every request ("" = none), e.g. "Basic dXNlcjpwdw==".
  void SetAuthorization(std::string value) { authorization_ = std::move(value); }

  /// True when the last Send failed because the receive timeout passed: the server may have
  /// received and acted on the request, so repeating it is the caller's decision.
  bool last_timed_out() const { return timed_out_; }

  const std::string& host() const { return host_; }
  int port() const { return port_; }

 private:
  HttpClient() = default;
  Status Connect();
  void Close();
  Status WriteAll(std::string_view data);
  // Writes pending_head_ and pending_body_ on the open connection.
  Status WritePending();
  std::string FormatRequest(std::string_view method, std::string_view path,
                            std::string_view body, std::string_view content_type) const;
  // Status line and headers; `body_mode` says how the body is framed.
  struct ResponseHead;
  Result<ResponseHead> ReadHead();
  // The body of `head`, delivered to `sink` piece by piece.
  Status ReadBody(const ResponseHead& head, bool head_request, const BodySink& sink);
  Result<HttpClientResponse> ReadResponse(bool head);
  // Waits until the socket has bytes (or TLS holds some), the receive timeout or a stop.
  Status WaitReadable();
  // Reads until `buf_` holds at least `n` bytes past `pos_`; false on EOF.
  Status Fill(size_t n);
  Result<std::string> ReadLine();

  std::string scheme_ = "http";
  std::string host_;
  int port_ = 80;
  std::shared_ptr<TlsContext> tls_;  // null for http://
  std::unique_ptr<ConnectionIo> io_;  // plain or TLS over fd_ while connected
  std::string prefix_;  // path prefix from the base URL, without the trailing '/'
  std::string authorization_;  // Authorization header value, "" = none
  std::chrono::milliseconds receive_timeout_{0};  // 0 = none
  const std::atomic<bool>* stop_ = nullptr;        // set only during SendStreaming
  bool timed_out_ = false;  // the last wait hit receive_timeout_ (no retry then)
  int fd_ = -1;
  std::string buf_;     // bytes received and not yet consumed, from pos_
  size_t pos_ = 0;
  // The request between BeginRequest and FinishRequest, kept for the one re-send.
  std::string pending_head_;
  std::string_view pending_body_;
  bool pending_head_request_ = false;  // HEAD: the answer has no body
  bool pending_reused_ = false;        // written on a kept-alive connection
};

/// Percent-encodes a path segment (index name, document id) for a URL.
std::string UrlEncodeSegment(std::string_view s);

}  // namespace lookalike::net
