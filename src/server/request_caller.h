// Who sent a request, as the security gate established it. Handlers that decide per item or per
// owner ask it: each _bulk item is authorised against its own index, and a scroll answers only
// the caller that opened it. RestRequest::caller is null when security is off.
//
// Thread safety: a value built per request and read by that request's handler only.
#pragma once

#include <functional>
#include <string>

#include "lookalike/status.h"
#include "server/security/route_privileges.h"

namespace lookalike::server {

struct RequestCaller {
  /// Stable identity: "user/NAME" for a user, "api_key/ID" for an API key.
  std::string id;
  /// OK when the caller may run `access`; PermissionDenied (403 security_exception) with
  /// Elasticsearch's reason otherwise.
  std::function<Status(const security::RequiredAccess& access)> authorize;
};

}  // namespace lookalike::server
