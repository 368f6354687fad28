// A small blocking HTTP/1.1 client for the command-line tools (ingest-images --server,
// search-image --server): one keep-alive connection, Content-Length or chunked responses,
// reconnect once when a kept-alive connection turns out to be closed. Plain http:// only.
//
// Thread safety: none; one client per thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lookalike/status.h"

namespace lookalike::cli {

struct HttpClientResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

class HttpClient {
 public:
  /// `base_url` is "http://host[:port][/prefix]"; the port defaults to 80.
  static Result<HttpClient> Create(std::string_view base_url);

  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  ~HttpClient();

  /// Sends `method path` (path starts with '/', already URL-encoded) with an optional body and
  /// returns the response, whatever its status. IOError when the server cannot be reached or
  /// the connection fails mid-request.
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

  std::string host_;
  int port_ = 80;
  std::string prefix_;  // path prefix from the base URL, without the trailing '/'
  std::string authorization_;  // Authorization header value, "" = none
  int fd_ = -1;
  std::string buf_;     // bytes received and not yet consumed, from pos_
  size_t pos_ = 0;
};

/// Percent-encodes a path segment (index name, document id) for a URL.
std::string UrlEncodeSegment(std::string_view s);

}  // namespace lookalike::cli
