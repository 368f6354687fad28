// A small blocking HTTP/1.1 client for the command-line tools (ingest-images --server,
// search-image --server): one keep-alive connection, Content-Length or chunked responses,
// reconnect once when a kept-alive connection turns out to be closed. http:// or https:// (TLS
// 1.2+, the server's certificate verified against --ca-cert or the system's trust store, and its
// name against the URL's host, unless --insecure-tls).
//
// Thread safety: none; one client per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lookalike/status.h"

namespace lookalike::server {
class ConnectionIo;
class TlsContext;
}  // namespace lookalike::server

namespace lookalike::cli {

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

  /// Sends `Authorization: <value>` with every request ("" = none), e.g. "Basic dXNlcjpwdw==".
  void SetAuthorization(std::string value) { authorization_ = std::move(value); }

  const std::string& host() const { return host_; }
  int port() const { return port_; }

 private:
  HttpClient() = default;
  Status Connect();
  void Close();
  Status WriteAll(std::string_view data);
  Result<HttpClientResponse> ReadResponse(bool head);
  // Reads until `buf_` holds at least `n` bytes past `pos_`; false on EOF.
  Status Fill(size_t n);
  Result<std::string> ReadLine();

  std::string scheme_ = "http";
  std::string host_;
  int port_ = 80;
  std::shared_ptr<server::TlsContext> tls_;  // null for http://
  std::unique_ptr<server::ConnectionIo> io_;  // plain or TLS over fd_ while connected
  std::string prefix_;  // path prefix from the base URL, without the trailing '/'
  std::string authorization_;  // Authorization header value, "" = none
  int fd_ = -1;
  std::string buf_;     // bytes received and not yet consumed, from pos_
  size_t pos_ = 0;
};

/// Percent-encodes a path segment (index name, document id) for a URL.
std::string UrlEncodeSegment(std::string_view s);

}  // namespace lookalike::cli
