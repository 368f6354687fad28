#include "server/security/rest_security_gate.h"

#include <memory>

#include "server/error_mapping.h"
#include "server/router.h"
#include "server/security/route_privileges.h"

namespace lookalike::server {

bool SecurityGate::Intercept(const HttpRequest& request, HttpResponse* response,
                             std::optional<RequestCaller>* caller) const {
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
  if (caller == nullptr) return false;
  auto who = std::make_shared<const security::Principal>(std::move(*principal));
  caller->emplace();
  (*caller)->id = who->is_api_key ? "api_key/" + who->api_key_id : "user/" + who->username;
  (*caller)->authorize = [service = service_, who](const security::RequiredAccess& access) {
    return service->Authorize(*who, access);
  };
  return false;
}

}  // namespace lookalike::server
