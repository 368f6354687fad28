// Maps (method, path) to a REST handler. Patterns are '/'-separated segments, each either a
// literal ("_search") or a parameter ("{index}"). Among the patterns that match a path the most
// specific wins (compared segment by segment, a literal beats a parameter), so "/_search" is
// never taken for an index called "_search". If the winning pattern has no handler for the
// method the answer is 405 (HEAD falls back to GET); if no pattern matches, 400 like
// Elasticsearch ("no handler found for uri").
//
// Path parameters are percent-decoded per segment, so "/a%2Fb" is one segment "a/b" (which the
// engine then rejects as an index name) rather than two.
//
// Thread safety: build the table first (Add), then Handle may run concurrently.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http/http_message.h"

namespace lookalike::server {

struct RequestCaller;  // request_caller.h

struct RestRequest {
  const HttpRequest& http;
  std::vector<std::pair<std::string, std::string>> path_params;
  /// Who sent it (request_caller.h); null when security is off.
  const RequestCaller* caller = nullptr;

  /// Decoded path parameter ("" when the pattern has none of that name).
  std::string_view PathParam(std::string_view name) const;
  /// Query parameter or nullptr.
  const std::string* Param(std::string_view name) const { return http.Param(name); }
  std::string_view body() const { return http.body; }
};

using RestHandler = std::function<void(const RestRequest&, HttpResponse*)>;

class Router {
 public:
  /// `methods` is a comma-separated list ("GET,POST").
  void Add(std::string_view methods, std::string_view pattern, RestHandler handler);
  /// Routes and runs the handler; fills an error response when nothing matches. Returns the id
  /// of the route that matched the path (see RouteOf), -1 when none did.
  int Handle(const HttpRequest& request, HttpResponse* response,
             const RequestCaller* caller = nullptr) const;

  /// The id of the most specific pattern matching `path` (an index into patterns()), -1 when
  /// none matches. The method is not considered.
  int RouteOf(std::string_view path) const;
  /// Every registered pattern, indexed by route id.
  std::vector<std::string> patterns() const;

 private:
  struct Segment {
    std::string text;   // literal text or parameter name
    bool param = false;
  };
  struct Route {
    std::string pattern;
    std::vector<Segment> segments;
    std::vector<std::pair<std::string, RestHandler>> handlers;  // method → handler
  };
  int Match(const std::vector<std::string>& segments) const;

  std::vector<Route> routes_;
};

/// Splits a path into percent-decoded segments ("/a/b/" → {"a","b"}; "/" → {}).
std::vector<std::string> SplitPath(std::string_view path);

}  // namespace lookalike::server
