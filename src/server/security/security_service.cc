#include "server/security/security_service.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "server/security/credentials.h"
#include "server/security/password_hash.h"

namespace lookalike::security {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ",";
    out += item;
  }
  return out;
}

std::string Join(const std::vector<std::string_view>& items) {
  std::string out;
  for (std::string_view item : items) {
    if (!out.empty()) out += ",";
    out += item;
  }
  return out;
}

Status MissingCredentials(std::string_view path) {
  return Status::Unauthenticated("missing authentication credentials for REST request [" +
                                 std::string(path) + "]");
}

Status WrongUser(std::string_view user, std::string_view path) {
  return Status::Unauthenticated("unable to authenticate user [" + std::string(user) +
                                 "] for REST request [" + std::string(path) + "]");
}

Status WrongApiKey() {
  return Status::Unauthenticated(
      "unable to authenticate with provided credentials and anonymous access is not allowed "
      "for this request");
}

// The API key's own roles must allow, and so must the owner's roles it was limited by.
template <typename Check>
bool Allows(const Principal& principal, const Check& check) {
  if (!check(principal.roles)) return false;
  return !principal.is_api_key || check(principal.limited_by);
}

std::string Subject(const Principal& principal) {
  if (principal.is_api_key) {
    return "API key id [" + principal.api_key_id + "] of user [" + principal.username + "]";
  }
  return "user [" + principal.username + "] with roles [" + Join(principal.role_names) + "]";
}

Status IndicesDenied(const Principal& principal, const RequiredAccess& access,
                     const std::vector<std::string>& indices) {
  return Status::PermissionDenied("action [" + access.action + "] is unauthorized for " +
                                  Subject(principal) + " on indices [" + Join(indices) +
                                  "], this action is granted by the index privileges [" +
                                  Join(access.granted_by) + "]");
}

}  // namespace

SecurityService::SecurityService(SecurityServiceOptions options)
    : options_(std::move(options)), store_(SecurityStore::ForDataDir(options_.data_dir)) {}

Status SecurityService::Start() {
  LOOKALIKE_ASSIGN_OR_RETURN(digest_key_, RandomToken(16));
  LOOKALIKE_ASSIGN_OR_RETURN(std::string dummy_password, RandomToken(16));
  LOOKALIKE_ASSIGN_OR_RETURN(dummy_hash_, HashSecret(dummy_password, PasswordHashParams()));
  LOOKALIKE_ASSIGN_OR_RETURN(SecurityState state, store_.Load());
  std::lock_guard lock(mu_);
  state_ = std::make_shared<const SecurityState>(std::move(state));
  last_check_ = std::chrono::steady_clock::now();
  struct stat st {};
  if (::stat(store_.file_path().c_str(), &st) == 0) {
    file_identity_ = std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) +
                     "/" + std::to_string(st.st_size) + "/" + std::to_string(st.st_ino);
  }
  return Status::OK();
}

void SecurityService::MaybeReload(bool force) {
  auto now = std::chrono::steady_clock::now();
  std::string identity;
  {
    std::lock_guard lock(mu_);
    if (reload_requested_.exchange(false)) force = true;
    if (!force && now - last_check_ < options_.reload_interval) return;
    last_check_ = now;
  }
  struct stat st {};
  if (::stat(store_.file_path().c_str(), &st) == 0) {
    identity = std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "/" +
               std::to_string(st.st_size) + "/" + std::to_string(st.st_ino);
  }
  {
    std::lock_guard lock(mu_);
    if (identity == file_identity_) return;
  }
  auto state = store_.Load();
  if (!state.ok()) {
    spdlog::error("security: keeping the previous users and keys: {}", state.status().ToString());
    return;
  }
  std::lock_guard lock(mu_);
  state_ = std::make_shared<const SecurityState>(std::move(state).value());
  file_identity_ = identity;
  cache_.clear();
  spdlog::info("security: reloaded {} ({} users, {} API keys)", store_.file_path(),
               state_->users.size(), state_->api_keys.size());
}

void SecurityService::Reload() { MaybeReload(/*force=*/true); }

std::shared_ptr<const SecurityState> SecurityService::Snapshot() {
  MaybeReload(/*force=*/false);
  std::lock_guard lock(mu_);
  return state_;
}

Result<Principal> SecurityService::Authenticate(std::string_view authorization,
                                                std::string_view path) {
  if (authorization.empty()) return MissingCredentials(path);
  std::shared_ptr<const SecurityState> state = Snapshot();
  std::string key = KeyedDigest(authorization, digest_key_);
  auto now = std::chrono::steady_clock::now();
  if (!key.empty()) {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) {
      if (it->second.ok) return it->second.principal;
      // Same wrong credential again: answer without another argon2 run.
      auto creds = ParseAuthorization(authorization);
      if (creds.ok() && creds->kind == CredentialKind::kBasic) {
        return WrongUser(creds->principal, path);
      }
      return WrongApiKey();
    }
  }
  Result<Principal> result = [&] {
    verification_slots_.acquire();
    Result<Principal> r = Verify(*state, authorization, path);
    verification_slots_.release();
    return r;
  }();
  if (!key.empty() && (result.ok() || result.status().code() == StatusCode::kUnauthenticated)) {
    std::lock_guard lock(mu_);
    if (state_ == state) {  // not reloaded meanwhile
      if (cache_.size() >= options_.max_cache_entries) cache_.clear();
      CacheEntry entry;
      entry.ok = result.ok();
      if (result.ok()) entry.principal = result.value();
      entry.expires = now + (result.ok() ? options_.cache_ttl : options_.failure_cache_ttl);
      cache_[key] = std::move(entry);
    }
  }
  return result;
}

Result<Principal> SecurityService::Verify(const SecurityState& state,
                                          std::string_view authorization, std::string_view path) {
  auto creds = ParseAuthorization(authorization);
  if (!creds.ok() || creds->kind == CredentialKind::kNone) return MissingCredentials(path);
  Principal principal;
  if (creds->kind == CredentialKind::kBasic) {
    auto it = state.users.find(creds->principal);
    if (it == state.users.end()) {
      (void)VerifySecret(creds->secret, dummy_hash_);
      return WrongUser(creds->principal, path);
    }
    const User& user = it->second;
    if (!VerifySecret(creds->secret, user.password_hash) || !user.enabled) {
      return WrongUser(creds->principal, path);
    }
    principal.username = creds->principal;
    principal.role_names = user.roles;
    principal.roles = ResolveRoles(state, user.roles);
    principal.realm = "native";
    return principal;
  }
  auto it = state.api_keys.find(creds->principal);
  if (it == state.api_keys.end()) {
    (void)VerifySecret(creds->secret, dummy_hash_);
    return WrongApiKey();
  }
  const ApiKey& key = it->second;
  bool valid = VerifySecret(creds->secret, key.key_hash);
  if (!valid || key.invalidated || (key.expiration_ms != 0 && key.expiration_ms <= NowMs())) {
    return WrongApiKey();
  }
  if (key.realm == "native") {
    // A key dies with its owner: a removed or disabled user's keys stop working.
    auto owner = state.users.find(key.username);
    if (owner == state.users.end() || !owner->second.enabled) return WrongApiKey();
  }
  principal.username = key.username;
  principal.is_api_key = true;
  principal.api_key_id = creds->principal;
  principal.api_key_name = key.name;
  principal.realm = key.realm;
  principal.limited_by = key.limited_by;
  if (key.role_descriptors.empty()) {
    principal.roles = key.limited_by;
  } else {
    for (const auto& [name, role] : key.role_descriptors) principal.roles.push_back(role);
  }
  return principal;
}

bool SecurityService::HasClusterPrivilege(const Principal& principal,
                                          const std::vector<std::string_view>& granted_by) const {
  return Allows(principal, [&](const std::vector<RoleDescriptor>& roles) {
    return GrantsCluster(roles, granted_by);
  });
}

Status SecurityService::ClusterDenied(const Principal& principal, std::string_view action,
                                      const std::vector<std::string_view>& granted_by) const {
  return Status::PermissionDenied(
      "action [" + std::string(action) + "] is unauthorized for " + Subject(principal) +
      ", this action is granted by the cluster privileges [" + Join(granted_by) + "]");
}

Status SecurityService::Authorize(const Principal& principal, const RequiredAccess& access) const {
  switch (access.kind) {
    case AccessKind::kAuthenticated:
    case AccessKind::kSecurityApi:
      return Status::OK();
    case AccessKind::kCluster:
      if (HasClusterPrivilege(principal, access.granted_by)) return Status::OK();
      return ClusterDenied(principal, access.action, access.granted_by);
    case AccessKind::kAnyIndex: {
      bool ok = Allows(principal, [&](const std::vector<RoleDescriptor>& roles) {
        return GrantsAnyIndex(roles, access.granted_by);
      });
      if (ok) return Status::OK();
      if (access.indices.empty()) break;
      return IndicesDenied(principal, access, access.indices);
    }
    case AccessKind::kIndices: {
      std::vector<std::string> denied;
      for (const std::string& index : access.indices) {
        bool ok = Allows(principal, [&](const std::vector<RoleDescriptor>& roles) {
          return GrantsIndex(roles, index, access.granted_by);
        });
        if (!ok) denied.push_back(index);
      }
      if (denied.empty()) return Status::OK();
      return IndicesDenied(principal, access, denied);
    }
  }
  return Status::PermissionDenied(
      "action [" + access.action + "] is unauthorized for " + Subject(principal) +
      ", this action is granted by the index privileges [" + Join(access.granted_by) + "]");
}

}  // namespace lookalike::security
