// Credentials and roles from requests (src/server/security/credentials.cc, roles.cc,
// security_store.cc):
//   1. the Authorization header: ParseAuthorization (Basic base64(user:password), ApiKey
//      base64(id:key), other schemes, bad base64, huge values); what parses must encode back to
//      itself, and the header then goes through the REST gate (authentication against a store
//      with one user and one API key, the answer valid JSON, 200 or 401 only);
//   2. a role descriptor as PUT /_security/role/{name} takes it (ParseRoleDescriptor);
//   3. the same bytes as a POST /_security/api_key body (ParseApiKeyRequest: name, expiration,
//      role_descriptors).
// Whatever 2 and 3 accept must be stored and load again unchanged (a role or key the server
// cannot read back would refuse the next start), a grant must cover its own index pattern, and an
// API key must never be allowed what its owner's roles refuse.
//
// Input: the header value, a NUL byte, then the JSON body (no NUL: all header, no body).
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "server/router.h"
#include "server/security/credentials.h"
#include "server/security/rest_security_gate.h"
#include "server/security/route_privileges.h"
#include "server/security/security_service.h"

namespace {

using namespace lookalike;
using security::CredentialKind;
using security::Credentials;
using security::RoleDescriptor;
using security::SecurityState;

// argon2id m=8,t=1 hashes of "fuzz-password" and "fuzz-api-key-secret": cheap enough to verify
// on every input (tests/fuzz/corpus/security_store uses the same ones).
constexpr const char* kUserHash =
    "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWx0$MBHLuu1xyaDCTRgMnYJ0nB0JbZXUD5guG9qrvpy8NYM";
constexpr const char* kKeyHash =
    "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHRzYWwy$09FzVPLMWUUHVkppRRH+wU6Sea7e22U2KwMeA6hfNFc";
constexpr const char* kUser = "elastic";
constexpr const char* kKeyId = "fuzzkey";

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s\n%s\n", what, detail.c_str());
  __builtin_trap();
}

struct Fixture {
  fuzz::TempDir dir;
  std::unique_ptr<security::SecurityService> service;
  std::unique_ptr<server::SecurityGate> gate;
  simdjson::dom::parser json;

  Fixture() {
    spdlog::set_level(spdlog::level::off);
    security::SecurityServiceOptions options;
    options.data_dir = dir.path();
    auto store = security::SecurityStore::ForDataDir(options.data_dir);
    fuzz::CheckOk(store.Update([](SecurityState* state) {
      state->users[kUser] = security::User{kUserHash, {"viewer"}, "", "", true};
      security::ApiKey key;
      key.name = "fuzz";
      key.key_hash = kKeyHash;
      key.username = kUser;
      key.realm = "native";
      key.limited_by = {*security::BuiltinRole("viewer")};
      state->api_keys[kKeyId] = key;
      return Status::OK();
    }),
                  "writing the security file");
    service = std::make_unique<security::SecurityService>(options);
    fuzz::CheckOk(service->Start(), "SecurityService::Start");
    gate = std::make_unique<server::SecurityGate>(service.get());
  }
};

void CheckHeader(Fixture& f, std::string_view header) {
  auto creds = security::ParseAuthorization(header);
  if (!creds.ok()) {
    if (creds.status().code() != StatusCode::kInvalidArgument) {
      Fail("a bad Authorization header is not InvalidArgument", creds.status().ToString());
    }
  } else if (creds->kind != CredentialKind::kNone) {
    if (creds->principal.empty() || creds->principal.find(':') != std::string::npos) {
      Fail("parsed a principal a client could not have sent", creds->principal);
    }
    std::string encoded =
        creds->kind == CredentialKind::kBasic
            ? "Basic " + security::Base64Encode(creds->principal + ":" + creds->secret)
            : "ApiKey " + security::EncodeApiKey(creds->principal, creds->secret);
    auto again = security::ParseAuthorization(encoded);
    if (!again.ok() || again->kind != creds->kind || again->principal != creds->principal ||
        again->secret != creds->secret) {
      Fail("credentials do not encode back to themselves", encoded);
    }
  }
  // An unknown principal costs a verification at password strength (19 MiB): through the gate
  // only with headers that fail to parse or name the store's user or key.
  bool cheap = !creds.ok() || creds->kind == CredentialKind::kNone ||
               creds->principal == (creds->kind == CredentialKind::kBasic ? kUser : kKeyId);
  if (!cheap) return;
  server::HttpRequest request;
  request.method = "GET";
  request.target = request.path = "/_security/_authenticate";
  if (!header.empty()) request.headers.emplace_back("authorization", std::string(header));
  server::HttpResponse response;
  if (!f.gate->Intercept(request, &response)) Fail("the gate passed a security API", "");
  if (response.status != 200 && response.status != 401) {
    Fail("authentication answered neither 200 nor 401", response.body);
  }
  simdjson::dom::element ignored;
  if (f.json.parse(response.body).get(ignored) != simdjson::SUCCESS) {
    Fail("the gate answered invalid JSON", response.body);
  }
}

void CheckGrantsCoverThemselves(const RoleDescriptor& role) {
  for (const security::IndexGrant& grant : role.indices) {
    for (const std::string& pattern : grant.names) {
      for (const std::string& privilege : grant.privileges) {
        if (!security::GrantsIndex({role}, pattern, {privilege})) {
          Fail("a grant does not cover its own index pattern", pattern + " / " + privilege);
        }
      }
    }
  }
}

// A key with `role` as its own descriptor, limited by the viewer role, may never do what a
// plain viewer may not.
void CheckKeyStaysWithinOwner(Fixture& f, const RoleDescriptor& role) {
  security::Principal owner;
  owner.username = kUser;
  owner.roles = {*security::BuiltinRole("viewer")};
  security::Principal key = owner;
  key.is_api_key = true;
  key.roles = {role};
  key.limited_by = owner.roles;
  std::vector<std::string> indices = {"logs-1", "*"};
  for (const security::IndexGrant& grant : role.indices) {
    if (indices.size() < 4) indices.push_back(grant.names.front());
  }
  static constexpr std::string_view kMethods[] = {"GET", "PUT", "DELETE", "POST"};
  for (const std::string& index : indices) {
    for (std::string_view method : kMethods) {
      for (std::string_view action : {"", "_search", "_doc", "_settings", "_bulk"}) {
        std::vector<std::string> segments = {index};
        if (!action.empty()) segments.emplace_back(action);
        security::RequiredAccess access = security::RequiredAccessFor(method, segments, "");
        if (f.service->Authorize(key, access).ok() && !f.service->Authorize(owner, access).ok()) {
          Fail("an API key was allowed what its owner is not", access.action + " on " + index);
        }
      }
    }
  }
}

// What PUT role / POST api_key accepted is stored; it must load again to the same state.
void CheckStoredRolesLoad(const std::vector<std::pair<std::string, RoleDescriptor>>& roles) {
  SecurityState state;
  security::ApiKey key;
  key.key_hash = kKeyHash;
  key.realm = "native";
  for (const auto& [name, role] : roles) {
    state.roles[name.empty() ? "r" : name] = role;
    key.limited_by.push_back(role);
  }
  key.role_descriptors = roles;
  state.api_keys["k"] = key;
  std::string saved = security::SerializeSecurityState(state);
  auto loaded = security::ParseSecurityState(saved);
  if (!loaded.ok()) Fail("an accepted role does not load again", loaded.status().ToString());
  if (security::SerializeSecurityState(*loaded) != saved) {
    Fail("an accepted role loads differently", saved);
  }
}

void CheckRoles(Fixture& f, const std::vector<std::pair<std::string, RoleDescriptor>>& roles) {
  CheckStoredRolesLoad(roles);
  for (const auto& [name, role] : roles) {
    CheckGrantsCoverThemselves(role);
    CheckKeyStaysWithinOwner(f, role);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture f;
  std::string_view input = fuzz::AsText(data, size);
  size_t nul = input.find('\0');
  CheckHeader(f, input.substr(0, nul));
  if (nul == std::string_view::npos) return 0;
  std::string_view body = input.substr(nul + 1);

  auto role = security::ParseRoleDescriptor(body);
  if (role.ok()) CheckRoles(f, {{"role", *role}});

  auto request = security::ParseApiKeyRequest(body);
  if (request.ok()) {
    if (!request->expiration.empty()) {
      (void)security::ExpirationAfter(security::NowMs(), request->expiration);
    }
    CheckRoles(f, request->role_descriptors);
  }
  return 0;
}
