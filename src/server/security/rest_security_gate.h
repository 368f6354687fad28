// The REST side of security: RestServer::Handle asks the gate first. The gate authenticates the
// request (401 security_exception with the WWW-Authenticate challenges when that fails), answers
// the /_security/... API itself, and checks the route's privilege (403 security_exception) before
// the request reaches the router.
//
//   /_security/_authenticate         GET               who am I
//   /_security/api_key               POST, PUT         create (role_descriptors ≤ own rights)
//                                    GET, DELETE       list, invalidate (own keys; all with
//                                                      manage_api_key / manage / all)
//   /_security/user[/{name}]         GET, PUT, POST, DELETE   (manage_security / manage / all)
//   /_security/role[/{name}]         GET, PUT, POST, DELETE   (manage_security / manage / all)
//
// Thread safety: Intercept may run concurrently; the service is internally synchronised and
// must outlive the gate.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "server/http/http_message.h"
#include "server/request_caller.h"
#include "server/security/security_service.h"

namespace lookalike::server {

class SecurityGate {
 public:
  explicit SecurityGate(security::SecurityService* service) : service_(service) {}

  /// True when the request has been answered here (refused, or a security API call); false
  /// when it is authenticated, allowed and should go on to the router, with `caller` set to
  /// who sent it.
  bool Intercept(const HttpRequest& request, HttpResponse* response,
                 std::optional<RequestCaller>* caller = nullptr) const;

 private:
  void HandleSecurityApi(const security::Principal& principal, const HttpRequest& request,
                         const std::vector<std::string>& segments, HttpResponse* response) const;

  security::SecurityService* service_;
};

}  // namespace lookalike::server
