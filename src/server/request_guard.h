// The checks every request passes before the router sees it, so that a web page in the user's
// browser cannot drive the server (cross-site request forgery, DNS rebinding):
//
//   1. Host: when the server is bound to a loopback address, the Host header must name this
//      machine (localhost, 127.0.0.1, [::1], the bound host, or an --allowed-host), with or
//      without a port. A rebound DNS name ("evil.example" → 127.0.0.1) is refused with 403.
//      Bound elsewhere, the check is off: authentication guards a reachable server.
//   2. CORS (Elasticsearch's http.cors.allow-origin): off unless origins are configured. A
//      preflight OPTIONS from an allowed origin is answered here (200 with the
//      Access-Control-Allow-* headers); from any other origin 403. Responses to allowed origins
//      carry Access-Control-Allow-Origin (Decorate).
//   3. Origin: a request whose Origin is neither this server (same host and port as the Host
//      header) nor an allowed origin may only GET or HEAD; anything else is refused with 403
//      before it runs. Browsers send Origin on every cross-site POST/PUT/DELETE, also on the
//      "simple" ones (text/plain, form bodies) that skip the preflight.
//   4. Content-Type: a request with a body must declare JSON or NDJSON (application/json,
//      application/x-ndjson, or application/vnd.elasticsearch+json / +x-ndjson with
//      compatible-with=7 or 8; parameters such as charset are ignored); multipart/form-data is
//      accepted only by the image search endpoint (POST /{index}/_search/image), which reads.
//      Anything else, also no Content-Type at all, is answered 406 like Elasticsearch:
//      {"error":"Content-Type header [text/plain] is not supported","status":406}.
//
// Thread safety: immutable after construction; Admit and Decorate may run concurrently.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/http/http_message.h"

namespace lookalike::server {

struct RequestGuardOptions {
  /// The address the server binds (--host); decides whether the Host check is on.
  std::string bound_host = "127.0.0.1";
  /// Extra names accepted in the Host header when bound to loopback (--allowed-host).
  std::vector<std::string> allowed_hosts;
  /// Origins allowed cross-origin access (--cors-allow-origin): exact origins such as
  /// "https://app.example:8443", "*" for any, or /regex/ (matched against the whole origin).
  /// Empty = CORS off.
  std::vector<std::string> cors_allow_origins;
};

class RequestGuard {
 public:
  explicit RequestGuard(RequestGuardOptions options);

  /// True when the request may go on to the router. False when *response already holds the
  /// answer: a refusal (403, 406) or the answer to a CORS preflight.
  bool Admit(const HttpRequest& request, HttpResponse* response) const;
  /// Adds the CORS headers to a routed response when the request came from an allowed origin.
  void Decorate(const HttpRequest& request, HttpResponse* response) const;

  bool host_check_enabled() const { return check_host_; }

 private:
  bool HostAllowed(std::string_view host_header) const;
  bool OriginAllowedByCors(std::string_view origin) const;

  RequestGuardOptions options_;
  bool check_host_ = false;
  std::vector<std::string> host_names_;  // lower-case names accepted in Host (no port)
};

/// True when `host` (a name or a numeric address) only ever means this machine: "localhost",
/// 127.0.0.0/8, ::1 (also v4-mapped), or a name that resolves only to such addresses.
bool IsLoopbackHost(std::string_view host);

/// "example.com:9200" → "example.com", "[::1]:9200" → "::1", "[::1]" → "::1"; lower-cased.
/// Returns "" for a malformed value.
std::string HostWithoutPort(std::string_view host_header);

/// True when a request body of this Content-Type may be sent to `path` (see rule 4 above).
bool ContentTypeAccepted(std::string_view content_type, std::string_view path);

/// Comma-separated values (--cors-allow-origin a,b) and repeated flags → one trimmed list.
std::vector<std::string> SplitCommaList(const std::vector<std::string>& values);

}  // namespace lookalike::server
