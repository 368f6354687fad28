// The /_security/... REST API (see rest_security_gate.h): request parsing and response shapes
// follow Elasticsearch's security APIs; the work is done by the store's operations.
#include <simdjson.h>

#include "common/json_writer.h"
#include "server/error_mapping.h"
#include "server/security/password_hash.h"
#include "server/security/rest_security_gate.h"

namespace lookalike::server {
namespace {

using security::Principal;
using security::SecurityService;
using security::SecurityState;

const std::vector<std::string_view> kManageSecurity = {"manage_security", "manage", "all"};
const std::vector<std::string_view> kManageApiKeys = {"manage_api_key", "manage_security", "manage",
                                                      "all"};
const std::vector<std::string_view> kOwnApiKeys = {"manage_own_api_key", "manage_api_key",
                                                   "manage_security", "manage", "all"};

void ReplyJson(std::string body, HttpResponse* response) {
  response->status = 200;
  response->content_type = "application/json; charset=UTF-8";
  response->body = std::move(body);
}

Status NoHandler(const HttpRequest& request) {
  return Status::InvalidArgument("no handler found for uri [" + request.path + "] and method [" +
                                 request.method + "]");
}

// Parses the body as a JSON object ("" → empty object).
Status ParseBody(const HttpRequest& request, simdjson::dom::parser* parser,
                 simdjson::dom::object* out) {
  std::string_view body = request.body.empty() ? std::string_view("{}") : request.body;
  simdjson::dom::element doc;
  if (parser->parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS ||
      doc.get(*out) != simdjson::SUCCESS) {
    return Status::InvalidArgument("request body must be a JSON object")
        .WithKind(ErrorKind::kMalformedContent);
  }
  return Status::OK();
}

Status ReadStrings(simdjson::dom::element value, std::string_view field,
                   std::vector<std::string>* out) {
  simdjson::dom::array array;
  if (value.get(array) != simdjson::SUCCESS) {
    return Status::InvalidArgument("[" + std::string(field) + "] must be an array of strings");
  }
  for (simdjson::dom::element item : array) {
    std::string_view s;
    if (item.get(s) != simdjson::SUCCESS) {
      return Status::InvalidArgument("[" + std::string(field) + "] must be an array of strings");
    }
    out->emplace_back(s);
  }
  return Status::OK();
}

void WriteAuthenticate(const Principal& p, JsonWriter* w) {
  w->BeginObject().Key("username").String(p.username).Key("roles").BeginArray();
  for (const std::string& r : p.role_names) w->String(r);
  w->EndArray().Key("full_name").Null().Key("email").Null();
  w->Key("metadata").BeginObject().EndObject().Key("enabled").Bool(true);
  std::string realm = p.is_api_key ? "_es_api_key" : "default_" + p.realm;
  std::string type = p.is_api_key ? "_es_api_key" : p.realm;
  w->Key("authentication_realm").BeginObject().Key("name").String(realm);
  w->Key("type").String(type).EndObject();
  w->Key("lookup_realm").BeginObject().Key("name").String(realm);
  w->Key("type").String(type).EndObject();
  w->Key("authentication_type").String(p.is_api_key ? "api_key" : "realm");
  if (p.is_api_key) {
    w->Key("api_key").BeginObject().Key("id").String(p.api_key_id);
    w->Key("name").String(p.api_key_name).EndObject();
  }
  w->EndObject();
}

Result<std::string> CreateApiKey(SecurityService& service, const Principal& principal,
                                 const HttpRequest& request) {
  if (!service.HasClusterPrivilege(principal, kOwnApiKeys)) {
    return service.ClusterDenied(principal, "cluster:admin/xpack/security/api_key/create",
                                 kOwnApiKeys);
  }
  if (principal.is_api_key) {
    return Status::PermissionDenied("an API key cannot create API keys; authenticate as a user");
  }
  LOOKALIKE_ASSIGN_OR_RETURN(security::ApiKeyRequest body,
                             security::ParseApiKeyRequest(request.body));
  int64_t expiration_ms = 0;
  if (!body.expiration.empty()) {
    LOOKALIKE_ASSIGN_OR_RETURN(expiration_ms,
                               security::ExpirationAfter(security::NowMs(), body.expiration));
  }
  security::NewApiKey created;
  LOOKALIKE_RETURN_IF_ERROR(service.store().Update([&](SecurityState* state) -> Status {
    auto made = security::AddApiKey(state, body.name, expiration_ms, body.role_descriptors,
                                    principal.username, principal.realm, principal.roles);
    if (!made.ok()) return made.status();
    created = std::move(made).value();
    return Status::OK();
  }));
  service.Reload();
  JsonWriter w;
  w.BeginObject().Key("id").String(created.id).Key("name").String(created.name);
  if (created.expiration_ms != 0) w.Key("expiration").Int(created.expiration_ms);
  w.Key("api_key").String(created.api_key).Key("encoded").String(created.encoded).EndObject();
  return w.Take();
}

// Which keys a request may see or invalidate: everyone's with manage_api_key, else its own.
Result<security::ApiKeyFilter> KeyFilter(SecurityService& service, const Principal& principal,
                                         security::ApiKeyFilter filter, bool owner_only,
                                         std::string_view action) {
  if (!service.HasClusterPrivilege(principal, kOwnApiKeys)) {
    return service.ClusterDenied(principal, action, kOwnApiKeys);
  }
  bool manage_all = service.HasClusterPrivilege(principal, kManageApiKeys);
  if (owner_only || !manage_all) {
    if (!filter.username.empty() && filter.username != principal.username) {
      return service.ClusterDenied(principal, action, kManageApiKeys);
    }
    filter.username = principal.username;
  }
  if (principal.is_api_key && !manage_all) filter.ids = {principal.api_key_id};
  return filter;
}

Result<std::string> GetApiKeys(SecurityService& service, const Principal& principal,
                               const HttpRequest& request) {
  security::ApiKeyFilter filter;
  if (const std::string* id = request.Param("id")) filter.ids = {*id};
  if (const std::string* name = request.Param("name")) filter.name = *name;
  if (const std::string* user = request.Param("username")) filter.username = *user;
  const std::string* owner = request.Param("owner");
  LOOKALIKE_ASSIGN_OR_RETURN(
      filter, KeyFilter(service, principal, filter, owner != nullptr && *owner != "false",
                        "cluster:admin/xpack/security/api_key/get"));
  std::shared_ptr<const SecurityState> state = service.Snapshot();
  JsonWriter w;
  w.BeginObject().Key("api_keys").BeginArray();
  for (const auto& [id, key] : state->api_keys) {
    if (!security::ApiKeyMatches(id, key, filter)) continue;
    w.BeginObject().Key("id").String(id).Key("name").String(key.name);
    w.Key("creation").Int(key.creation_ms);
    if (key.expiration_ms != 0) w.Key("expiration").Int(key.expiration_ms);
    w.Key("invalidated").Bool(key.invalidated).Key("username").String(key.username);
    w.Key("realm").String(key.realm).Key("metadata").BeginObject().EndObject().EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

Result<std::string> InvalidateApiKeys(SecurityService& service, const Principal& principal,
                                      const HttpRequest& request) {
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  LOOKALIKE_RETURN_IF_ERROR(ParseBody(request, &parser, &body));
  security::ApiKeyFilter filter;
  bool owner = false;
  for (auto field : body) {
    std::string_view text;
    if (field.key == "ids") {
      LOOKALIKE_RETURN_IF_ERROR(ReadStrings(field.value, "ids", &filter.ids));
    } else if (field.key == "id" && field.value.get(text) == simdjson::SUCCESS) {
      filter.ids.emplace_back(text);
    } else if (field.key == "name" && field.value.get(text) == simdjson::SUCCESS) {
      filter.name = std::string(text);
    } else if (field.key == "username" && field.value.get(text) == simdjson::SUCCESS) {
      filter.username = std::string(text);
    } else if (field.key == "owner" && field.value.get(owner) == simdjson::SUCCESS) {
    } else if (field.key != "realm_name") {
      return Status::InvalidArgument("unknown field [" + std::string(field.key) + "]");
    }
  }
  if (filter.ids.empty() && filter.name.empty() && filter.username.empty() && !owner) {
    return Status::InvalidArgument(
               "One of [api key id(s), api key name, username, realm name] must be specified "
               "if [owner] flag is false")
        .WithKind(ErrorKind::kRequestValidation);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(filter, KeyFilter(service, principal, filter, owner,
                                               "cluster:admin/xpack/security/api_key/invalidate"));
  security::InvalidationResult result;
  LOOKALIKE_RETURN_IF_ERROR(service.store().Update([&](SecurityState* state) {
    result = security::InvalidateApiKeys(state, filter);
    return Status::OK();
  }));
  service.Reload();
  JsonWriter w;
  w.BeginObject().Key("invalidated_api_keys").BeginArray();
  for (const std::string& id : result.invalidated) w.String(id);
  w.EndArray().Key("previously_invalidated_api_keys").BeginArray();
  for (const std::string& id : result.previously_invalidated) w.String(id);
  w.EndArray().Key("error_count").Int(0).EndObject();
  return w.Take();
}

}  // namespace

Result<std::string> HandleUserApi(SecurityService& service, const HttpRequest& request,
                                  const std::vector<std::string>& segments);
Result<std::string> HandleRoleApi(SecurityService& service, const HttpRequest& request,
                                  const std::vector<std::string>& segments);

void SecurityGate::HandleSecurityApi(const Principal& principal, const HttpRequest& request,
                                     const std::vector<std::string>& segments,
                                     HttpResponse* response) const {
  const std::string& method = request.method;
  bool get = method == "GET" || method == "HEAD";
  std::string_view what = segments.size() >= 2 ? std::string_view(segments[1]) : "";
  Result<std::string> result = NoHandler(request);
  if (what == "_authenticate" && segments.size() == 2 && get) {
    JsonWriter w;
    WriteAuthenticate(principal, &w);
    result = w.Take();
  } else if (what == "api_key" && segments.size() == 2) {
    if (method == "POST" || method == "PUT") {
      result = CreateApiKey(*service_, principal, request);
    } else if (get) {
      result = GetApiKeys(*service_, principal, request);
    } else if (method == "DELETE") {
      result = InvalidateApiKeys(*service_, principal, request);
    }
  } else if (what == "user" || what == "role") {
    if (!service_->HasClusterPrivilege(principal, kManageSecurity)) {
      result = service_->ClusterDenied(
          principal, std::string("cluster:admin/xpack/security/") + std::string(what),
          kManageSecurity);
    } else if (what == "user") {
      result = HandleUserApi(*service_, request, segments);
    } else {
      result = HandleRoleApi(*service_, request, segments);
    }
  }
  if (!result.ok()) {
    SetErrorResponse(result.status(), response);
    return;
  }
  ReplyJson(std::move(result).value(), response);
}

}  // namespace lookalike::server
