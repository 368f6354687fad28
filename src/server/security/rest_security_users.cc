// /_security/user and /_security/role (Elasticsearch's user and role APIs). The caller has been
// checked for manage_security before these run.
#include <simdjson.h>

#include "common/json_writer.h"
#include "server/http/http_message.h"
#include "server/security/password_hash.h"
#include "server/security/security_service.h"

namespace lookalike::server {
namespace {

using security::SecurityService;
using security::SecurityState;

Status ParseObject(const HttpRequest& request, simdjson::dom::parser* parser,
                   simdjson::dom::object* out) {
  simdjson::dom::element doc;
  if (parser->parse(request.body.data(), request.body.size()).get(doc) != simdjson::SUCCESS ||
      doc.get(*out) != simdjson::SUCCESS) {
    return Status::InvalidArgument("request body must be a JSON object")
        .WithKind(ErrorKind::kMalformedContent);
  }
  return Status::OK();
}

Status Unhandled(const HttpRequest& request) {
  return Status::InvalidArgument("no handler found for uri [" + request.path + "] and method [" +
                                 request.method + "]");
}

Status NotFound(std::string_view what, std::string_view name) {
  return Status::NotFound(std::string(what) + " [" + std::string(name) + "] not found")
      .WithKind(ErrorKind::kResourceNotFound);
}

std::string Found(bool found) {
  JsonWriter w;
  w.BeginObject().Key("found").Bool(found).EndObject();
  return w.Take();
}

Result<std::string> PutUser(SecurityService& service, const HttpRequest& request,
                            const std::string& name) {
  LOOKALIKE_RETURN_IF_ERROR(security::ValidateUsername(name));
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  LOOKALIKE_RETURN_IF_ERROR(ParseObject(request, &parser, &body));
  security::User changes;
  std::string password;
  bool has_password = false, has_roles = false, has_enabled = false;
  for (auto field : body) {
    std::string_view text;
    if (field.key == "password" && field.value.get(text) == simdjson::SUCCESS) {
      password = std::string(text);
      has_password = true;
    } else if (field.key == "roles") {
      simdjson::dom::array roles;
      if (field.value.get(roles) != simdjson::SUCCESS) {
        return Status::InvalidArgument("[roles] must be an array of strings");
      }
      for (simdjson::dom::element role : roles) {
        if (role.get(text) != simdjson::SUCCESS) {
          return Status::InvalidArgument("[roles] must be an array of strings");
        }
        changes.roles.emplace_back(text);
      }
      has_roles = true;
    } else if (field.key == "full_name" && field.value.get(text) == simdjson::SUCCESS) {
      changes.full_name = std::string(text);
    } else if (field.key == "email" && field.value.get(text) == simdjson::SUCCESS) {
      changes.email = std::string(text);
    } else if (field.key == "enabled" && field.value.get(changes.enabled) == simdjson::SUCCESS) {
      has_enabled = true;
    } else if (field.key != "metadata" && !field.value.is_null()) {
      return Status::InvalidArgument("unknown or malformed field [" + std::string(field.key) +
                                     "] in the user request");
    }
  }
  if (has_password) {
    LOOKALIKE_RETURN_IF_ERROR(security::ValidatePassword(password));
    LOOKALIKE_ASSIGN_OR_RETURN(changes.password_hash,
                               security::HashSecret(password, security::PasswordHashParams()));
  }
  bool created = false;
  LOOKALIKE_RETURN_IF_ERROR(service.store().Update([&](SecurityState* state) -> Status {
    auto it = state->users.find(name);
    created = it == state->users.end();
    if (created && !has_password) {
      return Status::InvalidArgument(
                 "password must be specified unless you are updating an "
                 "existing user")
          .WithKind(ErrorKind::kRequestValidation);
    }
    security::User& user = state->users[name];
    if (has_password) user.password_hash = changes.password_hash;
    if (has_roles || created) user.roles = changes.roles;
    if (!changes.full_name.empty()) user.full_name = changes.full_name;
    if (!changes.email.empty()) user.email = changes.email;
    if (has_enabled || created) user.enabled = changes.enabled;
    return Status::OK();
  }));
  service.Reload();
  JsonWriter w;
  w.BeginObject().Key("created").Bool(created).EndObject();
  return w.Take();
}

Result<std::string> GetUsers(SecurityService& service, std::string_view names) {
  std::shared_ptr<const SecurityState> state = service.Snapshot();
  JsonWriter w;
  w.BeginObject();
  bool any = false;
  for (const auto& [name, user] : state->users) {
    bool wanted = names.empty();
    for (size_t start = 0; !wanted && start <= names.size();) {
      size_t comma = names.find(',', start);
      wanted = names.substr(start, comma - start) == name;
      start = comma == std::string_view::npos ? names.size() + 1 : comma + 1;
    }
    if (!wanted) continue;
    any = true;
    w.Key(name).BeginObject().Key("username").String(name).Key("roles").BeginArray();
    for (const std::string& role : user.roles) w.String(role);
    w.EndArray().Key("full_name").String(user.full_name).Key("email").String(user.email);
    w.Key("metadata").BeginObject().EndObject().Key("enabled").Bool(user.enabled).EndObject();
  }
  w.EndObject();
  if (!any && !names.empty()) return NotFound("user", names);
  return w.Take();
}

Result<std::string> DeleteUser(SecurityService& service, const std::string& name) {
  bool found = false;
  LOOKALIKE_RETURN_IF_ERROR(service.store().Update([&](SecurityState* state) {
    found = state->users.erase(name) > 0;
    return Status::OK();
  }));
  service.Reload();
  if (!found) return NotFound("user", name);
  return Found(true);
}

Result<std::string> PutRole(SecurityService& service, const HttpRequest& request,
                            const std::string& name) {
  if (security::IsBuiltinRole(name)) {
    return Status::InvalidArgument("role [" + name + "] is reserved and cannot be modified");
  }
  if (name.empty() || name.front() == '_') {
    return Status::InvalidArgument("invalid role name [" + name + "]");
  }
  LOOKALIKE_ASSIGN_OR_RETURN(security::RoleDescriptor role,
                             security::ParseRoleDescriptor(request.body));
  LOOKALIKE_RETURN_IF_ERROR(security::CheckRoleLimits(role));
  bool created = false;
  LOOKALIKE_RETURN_IF_ERROR(service.store().Update([&](SecurityState* state) {
    created = state->roles.count(name) == 0;
    state->roles[name] = role;
    return Status::OK();
  }));
  service.Reload();
  JsonWriter w;
  w.BeginObject().Key("role").BeginObject().Key("created").Bool(created).EndObject().EndObject();
  return w.Take();
}

Result<std::string> GetRoles(SecurityService& service, std::string_view wanted) {
  std::shared_ptr<const SecurityState> state = service.Snapshot();
  JsonWriter w;
  w.BeginObject();
  bool any = false;
  for (const std::string& name : security::BuiltinRoleNames()) {
    if (!wanted.empty() && wanted != name) continue;
    any = true;
    w.Key(name);
    security::WriteRoleDescriptor(*security::BuiltinRole(name), &w);
  }
  for (const auto& [name, role] : state->roles) {
    if (!wanted.empty() && wanted != name) continue;
    any = true;
    w.Key(name);
    security::WriteRoleDescriptor(role, &w);
  }
  w.EndObject();
  if (!any && !wanted.empty()) return NotFound("role", wanted);
  return w.Take();
}

Result<std::string> DeleteRole(SecurityService& service, const std::string& name) {
  if (security::IsBuiltinRole(name)) {
    return Status::InvalidArgument("role [" + name + "] is reserved and cannot be deleted");
  }
  bool found = false;
  LOOKALIKE_RETURN_IF_ERROR(service.store().Update([&](SecurityState* state) {
    found = state->roles.erase(name) > 0;
    return Status::OK();
  }));
  service.Reload();
  if (!found) return NotFound("role", name);
  return Found(true);
}

}  // namespace

Result<std::string> HandleUserApi(SecurityService& service, const HttpRequest& request,
                                  const std::vector<std::string>& segments) {
  const std::string& method = request.method;
  bool get = method == "GET" || method == "HEAD";
  if (segments.size() == 2 && get) return GetUsers(service, "");
  if (segments.size() != 3) return Unhandled(request);
  if (get) return GetUsers(service, segments[2]);
  if (method == "PUT" || method == "POST") return PutUser(service, request, segments[2]);
  if (method == "DELETE") return DeleteUser(service, segments[2]);
  return Unhandled(request);
}

Result<std::string> HandleRoleApi(SecurityService& service, const HttpRequest& request,
                                  const std::vector<std::string>& segments) {
  const std::string& method = request.method;
  bool get = method == "GET" || method == "HEAD";
  if (segments.size() == 2 && get) return GetRoles(service, "");
  if (segments.size() != 3) return Unhandled(request);
  if (get) return GetRoles(service, segments[2]);
  if (method == "PUT" || method == "POST") return PutRole(service, request, segments[2]);
  if (method == "DELETE") return DeleteRole(service, segments[2]);
  return Unhandled(request);
}

}  // namespace lookalike::server
