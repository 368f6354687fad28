// Host, Origin, CORS and Content-Type checks in front of the router; see request_guard.h.
#include "server/request_guard.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "lookalike/status.h"
#include "server/error_mapping.h"
#include "server/router.h"

namespace lookalike::server {
namespace {

// Elasticsearch's defaults for http.cors.allow-methods / allow-headers / max-age.
constexpr std::string_view kCorsAllowMethods = "OPTIONS, HEAD, GET, POST, PUT, DELETE";
constexpr std::string_view kCorsAllowHeaders =
    "X-Requested-With, Content-Type, Content-Length, Authorization, Accept, User-Agent, "
    "X-Elastic-Client-Meta";
constexpr std::string_view kCorsMaxAgeSeconds = "1728000";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsLoopbackAddress(const sockaddr* addr) {
  if (addr->sa_family == AF_INET) {
    uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(addr)->sin_addr.s_addr);
    return (ip >> 24) == 127;
  }
  if (addr->sa_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
    return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
  }
  return false;
}

// The value of parameter `name` in "type/sub; a=1; b=2" (lower-cased, unquoted), or "".
std::string MediaParam(std::string_view content_type, std::string_view name) {
  size_t semi = content_type.find(';');
  while (semi != std::string_view::npos) {
    std::string_view rest = content_type.substr(semi + 1);
    size_t next = rest.find(';');
    std::string_view param = Trim(rest.substr(0, next));
    size_t eq = param.find('=');
    if (eq != std::string_view::npos && Lower(Trim(param.substr(0, eq))) == name) {
      std::string_view value = Trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return Lower(value);
    }
    semi = next == std::string_view::npos ? next : semi + 1 + next;
  }
  return "";
}

bool IsImageSearchPath(std::string_view path) {
  std::vector<std::string> segments = SplitPath(path);
  return segments.size() == 3 && segments[1] == "_search" && segments[2] == "image";
}

// The node-to-node shard endpoints (handlers/shard_internal.cc) speak the binary formats of
// docs/formats/search-request.md.
bool IsInternalShardPath(std::string_view path) {
  std::vector<std::string> segments = SplitPath(path);
  return segments.size() == 4 && segments[0] == "_internal" && segments[1] == "shards";
}

bool IsSafeMethod(std::string_view method) { return method == "GET" || method == "HEAD"; }

Status Forbidden(std::string reason) {
  return Status::InvalidArgument(std::move(reason)).WithKind(ErrorKind::kForbidden);
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  std::string name = Lower(host);
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  if (name == "localhost" || name == "localhost.") return true;
  if (name.empty()) return false;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return false;
  bool all_loopback = true;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    all_loopback = all_loopback && IsLoopbackAddress(ai->ai_addr);
  }
  freeaddrinfo(res);
  return all_loopback;
}

std::string HostWithoutPort(std::string_view host_header) {
  std::string_view h = Trim(host_header);
  if (h.empty()) return "";
  if (h.front() == '[') {
    size_t close = h.find(']');
    if (close == std::string_view::npos) return "";
    std::string_view rest = h.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return "";
    return Lower(h.substr(1, close - 1));
  }
  size_t colon = h.find(':');
  if (colon != std::string_view::npos) {
    if (h.find(':', colon + 1) != std::string_view::npos) return "";  // bare IPv6: malformed
    std::string_view port = h.substr(colon + 1);
    if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return "";
    }
    h = h.substr(0, colon);
  }
  return Lower(h);
}

bool ContentTypeAccepted(std::string_view content_type, std::string_view path) {
  std::string type = Lower(Trim(content_type.substr(0, content_type.find(';'))));
  if (type == "application/json" || type == "application/x-ndjson") return true;
  if (type == "application/vnd.elasticsearch+json" ||
      type == "application/vnd.elasticsearch+x-ndjson") {
    // What the Elasticsearch 8 clients send; the compatible-with versions we speak are 7 and 8.
    std::string version = MediaParam(content_type, "compatible-with");
    return version.empty() || version == "7" || version == "8";
  }
  if (type == "application/octet-stream") return IsInternalShardPath(path);
  return type == "multipart/form-data" && IsImageSearchPath(path);
}

std::vector<std::string> SplitCommaList(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& value : values) {
    std::string_view rest = value;
    while (true) {
      size_t comma = rest.find(',');
      std::string_view item = Trim(rest.substr(0, comma));
      if (!item.empty()) out.emplace_back(item);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

RequestGuard::RequestGuard(RequestGuardOptions options) : options_(std::move(options)) {
  check_host_ = IsLoopbackHost(options_.bound_host);
  host_names_ = {"localhost", "127.0.0.1", "::1"};
  std::string bound = HostWithoutPort(options_.bound_host);
  if (bound.empty()) bound = Lower(options_.bound_host);  // a bare IPv6 address such as ::1
  host_names_.push_back(bound);
  for (const std::string& name : options_.allowed_hosts) {
    std::string n = HostWithoutPort(name);
    host_names_.push_back(n.empty() ? Lower(name) : n);
  }
}

bool RequestGuard::HostAllowed(std::string_view host_header) const {
  std::string name = HostWithoutPort(host_header);
  return !name.empty() &&
         std::find(host_names_.begin(), host_names_.end(), name) != host_names_.end();
}

bool RequestGuard::OriginAllowedByCors(std::string_view origin) const {
  for (const std::string& allowed : options_.cors_allow_origins) {
    if (allowed == "*" || Lower(allowed) == Lower(origin)) return true;
  }
  return false;
}

bool RequestGuard::Admit(const HttpRequest& request, HttpResponse* response) const {
  if (check_host_ && request.HasHeader("host") && !HostAllowed(request.Header("host"))) {
    SetErrorResponse(Forbidden("host [" + std::string(request.Header("host")) +
                               "] is not allowed; this server answers to localhost only (add "
                               "names with --allowed-host)"),
                     response);
    return false;
  }
  std::string_view origin = request.Header("origin");
  bool has_origin = request.HasHeader("origin");
  bool cors_allowed = has_origin && OriginAllowedByCors(origin);
  if (request.method == "OPTIONS" && has_origin &&
      request.HasHeader("access-control-request-method") && !options_.cors_allow_origins.empty()) {
    if (!cors_allowed) {
      SetErrorResponse(Forbidden("origin [" + std::string(origin) + "] is not allowed"), response);
      return false;
    }
    response->status = 200;
    response->content_type = "text/plain; charset=UTF-8";
    response->body.clear();
    Decorate(request, response);
    response->headers.emplace_back("access-control-allow-methods", std::string(kCorsAllowMethods));
    response->headers.emplace_back("access-control-allow-headers", std::string(kCorsAllowHeaders));
    response->headers.emplace_back("access-control-max-age", std::string(kCorsMaxAgeSeconds));
    return false;
  }
  if (has_origin && !cors_allowed && !IsSafeMethod(request.method)) {
    // The page's own origin is http(s)://<the Host it talks to>.
    std::string host = Lower(request.Header("host"));
    std::string lower_origin = Lower(origin);
    bool same_origin = !host.empty() && (lower_origin == "http://" + host ||
                                         lower_origin == "https://" + host);
    if (!same_origin) {
      SetErrorResponse(Forbidden("cross-origin " + request.method + " from [" +
                                 std::string(origin) + "] refused (allow origins with "
                                 "--cors-allow-origin)"),
                       response);
      return false;
    }
  }
  if (!request.body.empty() &&
      !ContentTypeAccepted(request.Header("content-type"), request.path)) {
    SetContentTypeNotSupported(request.Header("content-type"), response);
    return false;
  }
  return true;
}

void RequestGuard::Decorate(const HttpRequest& request, HttpResponse* response) const {
  if (options_.cors_allow_origins.empty() || !request.HasHeader("origin")) return;
  std::string_view origin = request.Header("origin");
  if (!OriginAllowedByCors(origin)) return;
  response->headers.emplace_back("access-control-allow-origin", std::string(origin));
  response->headers.emplace_back("vary", "origin");
}

}  // namespace lookalike::server
