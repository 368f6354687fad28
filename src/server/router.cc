#include "server/router.h"

#include "server/error_mapping.h"

namespace lookalike::server {

std::string_view RestRequest::PathParam(std::string_view name) const {
  for (const auto& [key, value] : path_params) {
    if (key == name) return value;
  }
  return {};
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    size_t slash = path.find('/');
    out.push_back(PercentDecode(path.substr(0, slash), /*plus_is_space=*/false));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return out;
}

void Router::Add(std::string_view methods, std::string_view pattern, RestHandler handler) {
  Route* route = nullptr;
  for (auto& r : routes_) {
    if (r.pattern == pattern) route = &r;
  }
  if (route == nullptr) {
    Route r;
    r.pattern = std::string(pattern);
    for (const std::string& seg : SplitPath(pattern)) {
      bool param = seg.size() >= 2 && seg.front() == '{' && seg.back() == '}';
      r.segments.push_back(Segment{param ? seg.substr(1, seg.size() - 2) : seg, param});
    }
    routes_.push_back(std::move(r));
    route = &routes_.back();
  }
  while (!methods.empty()) {
    size_t comma = methods.find(',');
    route->handlers.emplace_back(std::string(methods.substr(0, comma)), handler);
    methods = comma == std::string_view::npos ? std::string_view() : methods.substr(comma + 1);
  }
}

int Router::Match(const std::vector<std::string>& segments) const {
  const Route* best = nullptr;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      match = route.segments[i].param ? !segments[i].empty()
                                      : route.segments[i].text == segments[i];
    }
    if (!match) continue;
    if (best == nullptr) {
      best = &route;
      continue;
    }
    // More specific = the first differing segment is a literal.
    for (size_t i = 0; i < segments.size(); ++i) {
      if (route.segments[i].param != best->segments[i].param) {
        if (!route.segments[i].param) best = &route;
        break;
      }
    }
  }
  return best == nullptr ? -1 : static_cast<int>(best - routes_.data());
}

int Router::RouteOf(std::string_view path) const { return Match(SplitPath(path)); }

std::vector<std::string> Router::patterns() const {
  std::vector<std::string> out;
  for (const Route& route : routes_) out.push_back(route.pattern);
  return out;
}

int Router::Handle(const HttpRequest& request, HttpResponse* response,
                   const RequestCaller* caller) const {
  std::vector<std::string> segments = SplitPath(request.path);
  int route_id = Match(segments);
  const Route* best = route_id < 0 ? nullptr : &routes_[static_cast<size_t>(route_id)];
  if (best == nullptr) {
    SetErrorResponse(Status::InvalidArgument("no handler found for uri [" + request.path +
                                             "] and method [" + request.method + "]")
                         .WithKind(ErrorKind::kInvalidValue),
                     response);
    return -1;
  }
  const RestHandler* handler = nullptr;
  for (const auto& [method, h] : best->handlers) {
    if (method == request.method) handler = &h;
  }
  if (handler == nullptr && request.method == "HEAD") {
    for (const auto& [method, h] : best->handlers) {
      if (method == "GET") handler = &h;
    }
  }
  if (handler == nullptr) {
    std::string allowed;
    for (const auto& entry : best->handlers) {
      if (!allowed.empty()) allowed += ", ";
      allowed += entry.first;
    }
    SetErrorResponse(Status::InvalidArgument("Incorrect HTTP method for uri [" + request.path +
                                             "] and method [" + request.method +
                                             "], allowed: [" + allowed + "]")
                         .WithKind(ErrorKind::kMethodNotAllowed),
                     response);
    response->headers.emplace_back("allow", allowed);
    return route_id;
  }
  RestRequest rest{request, {}, caller};
  for (size_t i = 0; i < segments.size(); ++i) {
    if (best->segments[i].param) {
      rest.path_params.emplace_back(best->segments[i].text, std::move(segments[i]));
    }
  }
  (*handler)(rest, response);
  return route_id;
}

}  // namespace lookalike::server
