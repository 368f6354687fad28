// Users, stored roles and API keys of one data directory, kept in <data>/security/security.json:
//   {"format":"lookalike-security","version":1,"users":{...},"roles":{...},"api_keys":{...}}
// (byte layout in docs/security.md). Passwords and API keys are stored only as argon2id hashes.
// The file is replaced atomically (temporary file, fsync, rename, fsync of the folder) under an
// advisory lock (flock on security.lock), so the CLI can edit the files of a running server and
// concurrent edits never lose each other's changes; readers never see half a file.
//
// Thread safety: SecurityState is a value. SecurityStore is stateless apart from its path;
// Update is safe across threads and processes thanks to the file lock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lookalike/status.h"
#include "server/security/roles.h"

namespace lookalike::security {

struct User {
  std::string password_hash;  // argon2id PHC string
  std::vector<std::string> roles;
  std::string full_name;
  std::string email;
  bool enabled = true;
};

struct ApiKey {
  std::string name;
  std::string key_hash;  // argon2id PHC string of the secret part
  std::string username;  // owner
  std::string realm;     // "native" (made by a user over REST) or "cli" (lookalike api-key)
  int64_t creation_ms = 0;
  int64_t expiration_ms = 0;  // 0 = never expires
  bool invalidated = false;
  // The key's own roles ("" names allowed); empty = the owner's rights as they were.
  std::vector<std::pair<std::string, RoleDescriptor>> role_descriptors;
  // The owner's roles when the key was made: the key can never do more than these.
  std::vector<RoleDescriptor> limited_by;
};

struct SecurityState {
  std::map<std::string, User> users;
  std::map<std::string, RoleDescriptor> roles;  // stored roles (built-ins are not stored)
  std::map<std::string, ApiKey> api_keys;       // by id

  /// True when someone could authenticate: an enabled user or a valid, unexpired API key.
  bool HasCredentials(int64_t now_ms) const;
};

inline constexpr int kSecurityFormatVersion = 1;

Result<SecurityState> ParseSecurityState(std::string_view json);
std::string SerializeSecurityState(const SecurityState& state);

class SecurityStore {
 public:
  /// `dir` is <data>/security.
  explicit SecurityStore(std::string dir) : dir_(std::move(dir)) {}
  static SecurityStore ForDataDir(const std::string& data_dir) {
    return SecurityStore(data_dir + "/security");
  }

  const std::string& dir() const { return dir_; }
  std::string file_path() const { return dir_ + "/security.json"; }

  /// The stored state; an empty state when the file does not exist. Corruption when it is
  /// damaged or from a newer version.
  Result<SecurityState> Load() const;
  /// Locks, loads the newest state, applies `edit` and, when it returns OK, saves atomically.
  Status Update(const std::function<Status(SecurityState*)>& edit) const;

 private:
  Status Save(const SecurityState& state) const;
  std::string dir_;
};

// ---- Operations shared by the REST API and the CLI ---------------------------------------

Status ValidateUsername(std::string_view name);
/// Elasticsearch's rule: at least 6 characters.
Status ValidatePassword(std::string_view password);
/// Every name is a built-in role or a role stored in `state`.
Status ValidateRoleNames(const SecurityState& state, const std::vector<std::string>& roles);

/// The descriptors of the named roles; unknown names are skipped (as Elasticsearch does).
std::vector<RoleDescriptor> ResolveRoles(const SecurityState& state,
                                         const std::vector<std::string>& names);

/// "30s", "15m", "12h", "7d", "500ms" → milliseconds. InvalidArgument otherwise.
Result<int64_t> ParseTimeValueMs(std::string_view text);
int64_t NowMs();
/// The expiration time (ms since the epoch) of a key made at `now_ms` that lives `lifetime` (a
/// time value as above). InvalidArgument when it cannot be parsed or the sum passes INT64_MAX.
Result<int64_t> ExpirationAfter(int64_t now_ms, std::string_view lifetime);

/// The body of POST/PUT /_security/api_key.
struct ApiKeyRequest {
  std::string name;
  std::string expiration;  // a time value; "" = never expires
  std::vector<std::pair<std::string, RoleDescriptor>> role_descriptors;
};
/// Parses that body ("" reads as {}): "name", "expiration" (a time value or null),
/// "role_descriptors" (an object of role descriptors), "metadata" (ignored). InvalidArgument
/// (x_content_parse_exception when it is not a JSON object) otherwise.
Result<ApiKeyRequest> ParseApiKeyRequest(std::string_view body);

struct NewApiKey {
  std::string id;
  std::string name;
  std::string api_key;  // the secret, shown once
  std::string encoded;  // base64(id:api_key)
  int64_t expiration_ms = 0;
};

/// Adds a key for `owner` (realm "native" or "cli") to *state.
Result<NewApiKey> AddApiKey(SecurityState* state, std::string name, int64_t expiration_ms,
                            std::vector<std::pair<std::string, RoleDescriptor>> role_descriptors,
                            std::string owner, std::string realm,
                            std::vector<RoleDescriptor> limited_by);

struct ApiKeyFilter {
  std::vector<std::string> ids;  // empty = any
  std::string name;              // "" = any; '*' wildcards allowed
  std::string username;          // "" = any
};

bool ApiKeyMatches(const std::string& id, const ApiKey& key, const ApiKeyFilter& filter);

struct InvalidationResult {
  std::vector<std::string> invalidated;
  std::vector<std::string> previously_invalidated;
};
InvalidationResult InvalidateApiKeys(SecurityState* state, const ApiKeyFilter& filter);

}  // namespace lookalike::security
