// Authentication and authorization for the REST server: who is calling (Basic user or ApiKey),
// and may they run this action. Failures are Status values the error mapping turns into
// Elasticsearch's 401 / 403 security_exception.
//
// Cost of a request: verifying an argon2id password hash takes tens of milliseconds, so a
// verified Authorization header is remembered for `cache_ttl`, keyed by a keyed digest of the
// header (never the header itself). A wrong credential is remembered too (for a shorter time),
// so repeating it costs nothing, and at most two argon2 verifications run at
// once, so a flood of guesses cannot take every core. An unknown user costs the same as a wrong
// password (a dummy hash is verified) so response times do not reveal which users exist.
//
// The store's file is re-read when its mtime/size/inode changes, checked at most once per
// `reload_interval` or right away after Reload() (SIGHUP, or a change made through REST); every
// reload empties the cache, so a removed user or an invalidated key stops working within about
// a second.
//
// Thread safety: all methods may run concurrently. mu_ guards state_, file identity, the cache
// and the clock of the last check; argon2 runs outside the lock.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <semaphore>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lookalike/status.h"
#include "server/security/roles.h"
#include "server/security/route_privileges.h"
#include "server/security/security_store.h"

namespace lookalike::security {

/// Who made a request.
struct Principal {
  std::string username;
  std::vector<std::string> role_names;     // a user's roles; empty for API keys
  std::vector<RoleDescriptor> roles;       // what it may do
  std::vector<RoleDescriptor> limited_by;  // API keys: the owner's roles, which must also allow
  bool is_api_key = false;
  std::string api_key_id;
  std::string api_key_name;
  std::string realm;  // "native" for users, the owner's realm for keys
};

struct SecurityServiceOptions {
  std::string data_dir;
  std::chrono::milliseconds cache_ttl{60'000};
  std::chrono::milliseconds failure_cache_ttl{5'000};
  std::chrono::milliseconds reload_interval{1'000};
  size_t max_cache_entries = 10'000;
};

class SecurityService {
 public:
  explicit SecurityService(SecurityServiceOptions options);

  /// Reads the store; Corruption/IOError when the file exists but cannot be used.
  Status Start();

  /// Authenticates an Authorization header value for a request to `path` (used in messages).
  /// Unauthenticated with Elasticsearch's reason when missing or wrong.
  Result<Principal> Authenticate(std::string_view authorization, std::string_view path);

  /// OK when `principal` may run `access`; PermissionDenied with Elasticsearch's reason
  /// otherwise. kSecurityApi is always OK here (its handlers check per operation).
  Status Authorize(const Principal& principal, const RequiredAccess& access) const;

  /// True when `principal` holds one of the cluster privileges `granted_by`.
  bool HasClusterPrivilege(const Principal& principal,
                           const std::vector<std::string_view>& granted_by) const;
  /// The 403 for a cluster action.
  Status ClusterDenied(const Principal& principal, std::string_view action,
                       const std::vector<std::string_view>& granted_by) const;

  /// Re-reads the file now if it changed.
  void Reload();
  /// Async-signal-safe (one atomic store): the next request re-reads the file if it changed.
  void RequestReload() { reload_requested_.store(true); }
  /// The current state (after a reload check).
  std::shared_ptr<const SecurityState> Snapshot();
  const SecurityStore& store() const { return store_; }

 private:
  struct CacheEntry {
    bool ok = false;
    Principal principal;
    std::chrono::steady_clock::time_point expires;
  };

  void MaybeReload(bool force);
  Result<Principal> Verify(const SecurityState& state, std::string_view authorization,
                           std::string_view path);

  SecurityServiceOptions options_;
  SecurityStore store_;
  std::string digest_key_;  // random per process: cache keys are useless outside it
  std::string dummy_hash_;  // verified for unknown users so they cost like wrong passwords
  std::counting_semaphore<> verification_slots_{2};
  std::atomic<bool> reload_requested_{false};

  mutable std::mutex mu_;
  std::shared_ptr<const SecurityState> state_;         // guarded by mu_
  std::string file_identity_;                          // mtime/size/inode, guarded by mu_
  std::chrono::steady_clock::time_point last_check_;   // guarded by mu_
  std::unordered_map<std::string, CacheEntry> cache_;  // guarded by mu_
};

}  // namespace lookalike::security
