#include "server/security/rest_security_gate.h"

#include "server/error_mapping.h"
#include "server/router.h"
#include "server/security/route_privileges.h"

namespace lookalike::server {

bool SecurityGate::Intercept(const HttpRequest& request, HttpResponse* response) const {
  auto principal = service_->Authenticate(request.Header("authorization"), request.path);
  if (!principal.ok()) {
    SetErrorResponse(principal.status(), response);
    return true;
  }
  std::vector<std::string> segments = SplitPath(request.path);
  security::RequiredAccess access =
      security::RequiredAccessFor(request.method, segments, request.body);
  if (access.kind == security::AccessKind::kSecurityApi) {
    HandleSecurityApi(*principal, request, segments, response);
    return true;
  }
  Status allowed = service_->Authorize(*principal, access);
  if (!allowed.ok()) {
    SetErrorResponse(allowed, response);
    return true;
  }
  return false;
}

}  // namespace lookalike::server
