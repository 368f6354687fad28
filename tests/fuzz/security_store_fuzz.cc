// The users / API keys / roles file (src/server/security/security_store.cc): the input is
// <data>/security/security.json, read by SecurityStore::Load (what the server runs at start) and
// by SecurityService::Reload (SIGHUP, or a change on disk). A damaged file must give Corruption;
// whatever loads must
//   - save and load again to the same state (every REST or CLI edit rewrites the whole file),
//   - be what the running service now uses (its snapshot saves the same bytes),
//   - survive use: a Basic or ApiKey login for each user and key, the privilege checks of a few
//     requests (RequiredAccessFor + Authorize), the GET security APIs through the REST gate
//     (every answer valid JSON), and "a grant covers its own index pattern".
//
// Logins use fixed secrets (kPassword, kApiKeySecret); the seeds' hashes (argon2id m=8,t=1)
// match them, so mutated files keep authenticating and reach the privilege checks. Hashes that
// would cost more than kCheapCost are not verified here: argon2 at a real cost would bring the
// target down to a few inputs a second. (The loader refuses costs beyond CheckHashCost, and
// VerifySecret never runs them, so nothing the file says can make a login take minutes.)
//
// Input: the file.
#include <fcntl.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "server/router.h"
#include "server/security/credentials.h"
#include "server/security/password_hash.h"
#include "server/security/rest_security_gate.h"
#include "server/security/route_privileges.h"
#include "server/security/security_service.h"

namespace {

using namespace lookalike;
using security::SecurityState;

constexpr std::string_view kPassword = "fuzz-password";
constexpr std::string_view kApiKeySecret = "fuzz-api-key-secret";
constexpr uint64_t kCheapCost = 64;   // KiB × passes: the seeds' m=8,t=1 and a little more
constexpr int kMaxLoginsPerKind = 2;  // logins and their probes dominate the cost of an input

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s\n%s\n", what, detail.c_str());
  __builtin_trap();
}

// A login with this hash runs argon2 for at most kCheapCost (VerifySecret refuses malformed or
// over-bound hashes without running anything).
bool CheapToVerify(const std::string& hash) {
  auto params = security::ParseHashParams(hash);
  if (!params.ok() || !security::CheckHashCost(*params).ok()) return true;
  return uint64_t{params->memory_kib} * params->passes <= kCheapCost;
}

// A principal the header would name exactly (a ':' in a user name splits elsewhere, and an
// unknown principal costs a password-strength dummy verification).
bool UsableName(const std::string& name) {
  return !name.empty() && name.find(':') == std::string::npos;
}

struct Fixture {
  fuzz::TempDir dir;
  std::unique_ptr<security::SecurityService> service;
  std::unique_ptr<server::SecurityGate> gate;
  simdjson::dom::parser json;
  int64_t generation = 0;

  Fixture() {
    spdlog::set_level(spdlog::level::off);  // every reload logs
    security::SecurityServiceOptions options;
    options.data_dir = dir.path();
    options.reload_interval = std::chrono::hours(1);  // only the explicit Reload() below
    service = std::make_unique<security::SecurityService>(options);
    fuzz::CheckOk(service->Start(), "SecurityService::Start");
    ::mkdir(service->store().dir().c_str(), 0700);
    gate = std::make_unique<server::SecurityGate>(service.get());
  }

  std::string file() const { return service->store().file_path(); }

  // Writes the file with a time of its own: the service reloads when mtime, size or inode
  // change, and file times tick far more coarsely than inputs arrive.
  void WriteInput(std::string_view bytes) {
    fuzz::WriteFileOrDie(file(), bytes);
    ++generation;
    struct timespec times[2] = {{generation, 0}, {generation, 0}};
    if (::utimensat(AT_FDCWD, file().c_str(), times, 0) != 0) Fail("utimensat", file());
  }
};

// The same state saved twice must give the same bytes, and must load.
void CheckRoundTrip(const SecurityState& state) {
  std::string saved = security::SerializeSecurityState(state);
  auto again = security::ParseSecurityState(saved);
  if (!again.ok()) Fail("a saved security state does not load again", again.status().ToString());
  std::string resaved = security::SerializeSecurityState(*again);
  if (resaved != saved) Fail("a saved security state loads differently", saved + "\n" + resaved);
}

void CheckGrantsCoverThemselves(const std::vector<security::RoleDescriptor>& roles) {
  for (const security::RoleDescriptor& role : roles) {
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
}

// Requests whose privileges every login is checked against; {index} is replaced by an index
// expression from the state (or "logs-1").
struct Probe {
  const char* method;
  const char* path;
  const char* body;
};
constexpr Probe kProbes[] = {
    {"GET", "/_cluster/health", ""},
    {"GET", "/{index}/_search", "{}"},
    {"PUT", "/{index}/_doc/1", "{}"},
    {"DELETE", "/{index}", ""},
    {"POST", "/_bulk", "{\"index\":{\"_index\":\"{index}\"}}\n{}\n"},
    {"POST", "/_search/scroll", "{}"},
    {"GET", "/_cat/indices", ""},
};
constexpr const char* kSecurityGets[] = {"/_security/_authenticate", "/_security/user",
                                         "/_security/role", "/_security/api_key"};

std::string Replace(std::string text, std::string_view index) {
  for (size_t at; (at = text.find("{index}")) != std::string::npos;) {
    text.replace(at, 7, index);
  }
  return text;
}

void Login(Fixture& f, const std::string& authorization, const std::vector<std::string>& indices) {
  auto principal = f.service->Authenticate(authorization, "/");
  if (!principal.ok()) {
    if (principal.status().code() != StatusCode::kUnauthenticated) {
      Fail("a failed login is not Unauthenticated", principal.status().ToString());
    }
    return;
  }
  CheckGrantsCoverThemselves(principal->roles);
  for (const std::string& index : indices) {
    for (const Probe& probe : kProbes) {
      std::string path = Replace(probe.path, index);
      security::RequiredAccess access = security::RequiredAccessFor(
          probe.method, server::SplitPath(path), Replace(probe.body, index));
      Status allowed = f.service->Authorize(*principal, access);
      if (!allowed.ok() && allowed.code() != StatusCode::kPermissionDenied) {
        Fail("Authorize failed with something other than PermissionDenied", allowed.ToString());
      }
    }
  }
  for (const char* path : kSecurityGets) {
    server::HttpRequest request;
    request.method = "GET";
    request.target = request.path = path;
    request.headers.emplace_back("authorization", authorization);
    server::HttpResponse response;
    if (!f.gate->Intercept(request, &response)) Fail("the gate passed a security API on", path);
    simdjson::dom::element ignored;
    if (f.json.parse(response.body).get(ignored) != simdjson::SUCCESS) {
      Fail("a security API answered invalid JSON", response.body);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture f;
  f.WriteInput(fuzz::AsText(data, size));
  auto loaded = f.service->store().Load();
  f.service->Reload();
  if (!loaded.ok()) {
    if (!loaded.status().IsCorruption()) {
      Fail("a damaged security file is not Corruption", loaded.status().ToString());
    }
    return 0;
  }
  const SecurityState& state = *loaded;
  CheckRoundTrip(state);
  std::string saved = security::SerializeSecurityState(state);
  std::string in_use = security::SerializeSecurityState(*f.service->Snapshot());
  if (in_use != saved) Fail("the service did not take the file it just loaded", in_use);
  (void)state.HasCredentials(security::NowMs());
  for (const auto& [name, role] : state.roles) CheckGrantsCoverThemselves({role});

  // Index expressions to check privileges on: a fixed one and the first pattern the file grants.
  std::vector<std::string> indices = {"logs-1"};
  for (const auto& [name, role] : state.roles) {
    for (const security::IndexGrant& grant : role.indices) {
      if (indices.size() < 2 && !grant.names.empty()) indices.push_back(grant.names.front());
    }
  }
  int logins = 0;
  for (const auto& [name, user] : state.users) {
    if (logins == kMaxLoginsPerKind) break;
    if (!UsableName(name) || !CheapToVerify(user.password_hash)) continue;
    ++logins;
    std::string userpass = name + ":" + std::string(kPassword);
    Login(f, "Basic " + security::Base64Encode(userpass), indices);
  }
  logins = 0;
  for (const auto& [id, key] : state.api_keys) {
    if (logins == kMaxLoginsPerKind) break;
    if (!UsableName(id) || !CheapToVerify(key.key_hash)) continue;
    ++logins;
    Login(f, "ApiKey " + security::EncodeApiKey(id, kApiKeySecret), indices);
  }
  return 0;
}
