// HTTP/1.1 request and response values shared by the parser, the connection state machine, the
// router and the REST handlers. Plain data: no I/O here.
//
// Thread safety: values; a request is owned by one worker at a time.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lookalike::server {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // as sent, e.g. "GET" (methods are case-sensitive in HTTP)
  std::string target;  // raw request-target, e.g. "/idx/_search?size=3"
  std::string path;    // target before '?', still percent-encoded (the router decodes segments)
  std::vector<std::pair<std::string, std::string>> query;  // decoded ?k=v pairs in order
  HeaderList headers;  // names lower-cased, values trimmed
  std::string body;    // de-chunked and, for Content-Encoding gzip/deflate, inflated
  int version_minor = 1;   // HTTP/1.<minor>
  bool keep_alive = true;  // from the version and the Connection header

  /// First header with this lower-case name, or "" when absent.
  std::string_view Header(std::string_view lower_name) const;
  bool HasHeader(std::string_view lower_name) const;
  /// Last value of query parameter `name` (Elasticsearch lets later values win), or nullptr.
  const std::string* Param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json; charset=UTF-8";
  std::string body;
  HeaderList headers;  // extra headers (Content-Type/Length and Connection are added for you)
  bool close = false;  // close the connection after this response
  // For HEAD requests the body is computed (its length is reported) but not sent.
};

/// "OK", "Not Found", ... ("Unknown" for codes we never send).
std::string_view ReasonPhrase(int status);

/// Appends the wire form of `response` to *out. `send_body` is false for HEAD and for
/// responses that must not carry one; Content-Length still reports the body size.
void SerializeResponse(const HttpResponse& response, bool send_body, bool keep_alive,
                       std::string* out);

/// Decodes %XX escapes (and '+' as space when `plus_is_space`). Invalid escapes are kept as-is.
std::string PercentDecode(std::string_view s, bool plus_is_space);

/// Splits "a=1&b=&c" into decoded pairs (("a","1"),("b",""),("c","")).
std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view qs);

}  // namespace lookalike::server
