#include "server/security/security_store.h"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstring>
#include <filesystem>

#include "common/file_env.h"
#include "common/json_writer.h"
#include "server/security/credentials.h"
#include "server/security/password_hash.h"

namespace lookalike::security {
namespace {

using simdjson::dom::element;

Status Errno(std::string_view what, const std::string& path) {
  return Status::IOError(std::string(what) + " " + path + ": " + std::strerror(errno));
}

// Far above any real store (a user or API key is well under a kilobyte); bounds the memory a
// foreign file could take.
constexpr uint64_t kMaxSecurityFileBytes = uint64_t{256} << 20;

Status Damaged(std::string_view what) {
  return Status::Corruption("security file: " + std::string(what));
}

Status ReadStringArray(element value, std::vector<std::string>* out) {
  simdjson::dom::array array;
  if (value.get(array) != simdjson::SUCCESS) return Damaged("expected an array of strings");
  for (element item : array) {
    std::string_view s;
    if (item.get(s) != simdjson::SUCCESS) return Damaged("expected an array of strings");
    out->emplace_back(s);
  }
  return Status::OK();
}

// A hash whose cost is out of bounds never verifies (VerifySecret will not run it); refusing
// the file says why at start instead of answering 401 without a reason. A hash that is not a
// PHC string at all only fails to verify, as before.
Status CheckStoredHash(std::string_view what, const std::string& hash) {
  auto params = ParseHashParams(hash);
  if (!params.ok()) return Status::OK();
  Status cost = CheckHashCost(*params);
  if (cost.ok()) return cost;
  return Damaged(std::string(what) + ": " + std::string(cost.message()));
}

std::string GetString(element object, const char* key) {
  std::string_view s;
  return object[key].get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}

Result<User> ParseUser(element json) {
  User user;
  user.password_hash = GetString(json, "password_hash");
  user.full_name = GetString(json, "full_name");
  user.email = GetString(json, "email");
  bool enabled = true;
  if (json["enabled"].get(enabled) == simdjson::SUCCESS) user.enabled = enabled;
  element roles;
  if (json["roles"].get(roles) == simdjson::SUCCESS) {
    LOOKALIKE_RETURN_IF_ERROR(ReadStringArray(roles, &user.roles));
  }
  if (user.password_hash.empty()) return Damaged("a user without password_hash");
  LOOKALIKE_RETURN_IF_ERROR(CheckStoredHash("password_hash", user.password_hash));
  return user;
}

Result<ApiKey> ParseApiKey(element json) {
  ApiKey key;
  key.name = GetString(json, "name");
  key.key_hash = GetString(json, "key_hash");
  key.username = GetString(json, "username");
  key.realm = GetString(json, "realm");
  int64_t n = 0;
  if (json["creation"].get(n) == simdjson::SUCCESS) key.creation_ms = n;
  if (json["expiration"].get(n) == simdjson::SUCCESS) key.expiration_ms = n;
  bool invalidated = false;
  if (json["invalidated"].get(invalidated) == simdjson::SUCCESS) key.invalidated = invalidated;
  simdjson::dom::object descriptors;
  if (json["role_descriptors"].get(descriptors) == simdjson::SUCCESS) {
    for (auto field : descriptors) {
      auto role = ParseRoleDescriptor(field.value);
      if (!role.ok()) return Damaged(role.status().message());
      key.role_descriptors.emplace_back(std::string(field.key), std::move(role).value());
    }
  }
  simdjson::dom::array limited;
  if (json["limited_by"].get(limited) == simdjson::SUCCESS) {
    for (element item : limited) {
      auto role = ParseRoleDescriptor(item);
      if (!role.ok()) return Damaged(role.status().message());
      key.limited_by.push_back(std::move(role).value());
    }
  }
  if (key.key_hash.empty()) return Damaged("an API key without key_hash");
  LOOKALIKE_RETURN_IF_ERROR(CheckStoredHash("key_hash", key.key_hash));
  return key;
}

void WriteStrings(const std::vector<std::string>& values, JsonWriter* w) {
  w->BeginArray();
  for (const std::string& v : values) w->String(v);
  w->EndArray();
}

// Holds an exclusive flock on <dir>/security.lock for its lifetime.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
      ::chmod(dir.c_str(), 0700);  // only the server's user may list the folder
    }
    std::string path = dir + "/security.lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("cannot open", path);
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        ::close(fd);
        return Errno("cannot lock", path);
      }
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace

bool SecurityState::HasCredentials(int64_t now_ms) const {
  for (const auto& [name, user] : users) {
    if (user.enabled) return true;
  }
  for (const auto& [id, key] : api_keys) {
    if (!key.invalidated && (key.expiration_ms == 0 || key.expiration_ms > now_ms)) return true;
  }
  return false;
}

Result<SecurityState> ParseSecurityState(std::string_view json) {
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    return Damaged("not valid JSON");
  }
  if (GetString(doc, "format") != "lookalike-security") return Damaged("unknown format");
  int64_t version = 0;
  if (doc["version"].get(version) != simdjson::SUCCESS) return Damaged("no version");
  if (version < 1 || version > kSecurityFormatVersion) {
    return Damaged("version " + std::to_string(version) + " is newer than this build reads");
  }
  SecurityState state;
  simdjson::dom::object object;
  if (doc["users"].get(object) == simdjson::SUCCESS) {
    for (auto field : object) {
      LOOKALIKE_ASSIGN_OR_RETURN(User user, ParseUser(field.value));
      state.users.emplace(std::string(field.key), std::move(user));
    }
  }
  if (doc["roles"].get(object) == simdjson::SUCCESS) {
    for (auto field : object) {
      auto role = ParseRoleDescriptor(field.value);
      if (!role.ok()) return Damaged(role.status().message());
      state.roles.emplace(std::string(field.key), std::move(role).value());
    }
  }
  if (doc["api_keys"].get(object) == simdjson::SUCCESS) {
    for (auto field : object) {
      LOOKALIKE_ASSIGN_OR_RETURN(ApiKey key, ParseApiKey(field.value));
      state.api_keys.emplace(std::string(field.key), std::move(key));
    }
  }
  return state;
}

std::string SerializeSecurityState(const SecurityState& state) {
  JsonWriter w;
  w.BeginObject().Key("format").String("lookalike-security");
  w.Key("version").Int(kSecurityFormatVersion);
  w.Key("users").BeginObject();
  for (const auto& [name, user] : state.users) {
    w.Key(name).BeginObject().Key("password_hash").String(user.password_hash);
    w.Key("roles");
    WriteStrings(user.roles, &w);
    w.Key("full_name").String(user.full_name).Key("email").String(user.email);
    w.Key("enabled").Bool(user.enabled).EndObject();
  }
  w.EndObject().Key("roles").BeginObject();
  for (const auto& [name, role] : state.roles) {
    w.Key(name);
    WriteRoleDescriptor(role, &w);
  }
  w.EndObject().Key("api_keys").BeginObject();
  for (const auto& [id, key] : state.api_keys) {
    w.Key(id).BeginObject().Key("name").String(key.name).Key("key_hash").String(key.key_hash);
    w.Key("username").String(key.username).Key("realm").String(key.realm);
    w.Key("creation").Int(key.creation_ms).Key("expiration").Int(key.expiration_ms);
    w.Key("invalidated").Bool(key.invalidated).Key("role_descriptors").BeginObject();
    for (const auto& [name, role] : key.role_descriptors) {
      w.Key(name);
      WriteRoleDescriptor(role, &w);
    }
    w.EndObject().Key("limited_by").BeginArray();
    for (const RoleDescriptor& role : key.limited_by) WriteRoleDescriptor(role, &w);
    w.EndArray().EndObject();
  }
  w.EndObject().EndObject();
  std::string out = w.Take();
  out.push_back('\n');
  return out;
}

Result<SecurityState> SecurityStore::Load() const {
  std::string path = file_path();
  auto text = FileEnv::Default().ReadFile(path, kMaxSecurityFileBytes);
  if (text.status().IsNotFound()) return SecurityState{};
  if (!text.ok()) return text.status();  // "cannot read <path>: <errno text>", as before
  auto state = ParseSecurityState(*text);
  if (!state.ok()) return state.status().WithContext(path);
  return state;
}

Status SecurityStore::Save(const SecurityState& state) const {
  AtomicWriteOptions secret;
  secret.mode = 0600;  // password and API key hashes
  return WriteFileAtomically(FileEnv::Default(), file_path(), SerializeSecurityState(state),
                             secret);
}

Status SecurityStore::Update(const std::function<Status(SecurityState*)>& edit) const {
  LOOKALIKE_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(dir_));
  RemoveStaleTemporaryFiles(dir_);  // saves a crash interrupted; we hold the lock
  LOOKALIKE_ASSIGN_OR_RETURN(SecurityState state, Load());
  LOOKALIKE_RETURN_IF_ERROR(edit(&state));
  return Save(state);
}

Status ValidateUsername(std::string_view name) {
  if (name.empty() || name.size() > 507) {
    return Status::InvalidArgument("a username must be 1 to 507 characters long");
  }
  if (name.front() == '_') {
    return Status::InvalidArgument("usernames starting with [_] are reserved");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == '@' || c == '+';
    if (!ok) {
      return Status::InvalidArgument("invalid username [" + std::string(name) +
                                     "]: use letters, digits and _ - . @ +");
    }
  }
  return Status::OK();
}

Status ValidatePassword(std::string_view password) {
  if (password.size() < 6) {
    return Status::InvalidArgument("passwords must be at least [6] characters long");
  }
  return Status::OK();
}

Status ValidateRoleNames(const SecurityState& state, const std::vector<std::string>& roles) {
  for (const std::string& role : roles) {
    if (!IsBuiltinRole(role) && state.roles.count(role) == 0) {
      return Status::InvalidArgument("unknown role [" + role +
                                     "] (built-in roles: superuser, viewer, editor)");
    }
  }
  return Status::OK();
}

std::vector<RoleDescriptor> ResolveRoles(const SecurityState& state,
                                         const std::vector<std::string>& names) {
  std::vector<RoleDescriptor> out;
  for (const std::string& name : names) {
    if (const RoleDescriptor* builtin = BuiltinRole(name)) {
      out.push_back(*builtin);
    } else if (auto it = state.roles.find(name); it != state.roles.end()) {
      out.push_back(it->second);
    }
  }
  return out;
}

Result<int64_t> ParseTimeValueMs(std::string_view text) {
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  for (const auto& [suffix, scale] : kUnits) {
    if (text.size() <= suffix.size() || text.substr(text.size() - suffix.size()) != suffix) {
      continue;
    }
    std::string_view digits = text.substr(0, text.size() - suffix.size());
    int64_t value = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    // "5ms" also ends in "s"; only accept when every remaining character is a digit.
    if (ec != std::errc() || p != digits.data() + digits.size() || value <= 0) continue;
    if (value > INT64_MAX / scale) break;
    return value * scale;
  }
  return Status::InvalidArgument("failed to parse time value [" + std::string(text) +
                                 "]: use a number and a unit (ms, s, m, h, d)");
}

Result<int64_t> ExpirationAfter(int64_t now_ms, std::string_view lifetime) {
  LOOKALIKE_ASSIGN_OR_RETURN(int64_t ms, ParseTimeValueMs(lifetime));
  // ParseTimeValueMs allows up to INT64_MAX ms; adding the clock to that would overflow.
  if (now_ms > 0 && ms > INT64_MAX - now_ms) {
    return Status::InvalidArgument("expiration [" + std::string(lifetime) +
                                   "] is too far in the future");
  }
  return now_ms + ms;
}

Result<ApiKeyRequest> ParseApiKeyRequest(std::string_view body) {
  if (body.empty()) body = "{}";
  simdjson::dom::parser parser;
  element doc;
  simdjson::dom::object object;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS ||
      doc.get(object) != simdjson::SUCCESS) {
    return Status::InvalidArgument("request body must be a JSON object")
        .WithKind(ErrorKind::kMalformedContent);
  }
  ApiKeyRequest request;
  for (auto field : object) {
    std::string_view text;
    if (field.key == "name" && field.value.get(text) == simdjson::SUCCESS) {
      request.name = std::string(text);
    } else if (field.key == "expiration" && field.value.get(text) == simdjson::SUCCESS) {
      LOOKALIKE_RETURN_IF_ERROR(ParseTimeValueMs(text).status());
      request.expiration = std::string(text);
    } else if (field.key == "role_descriptors") {
      simdjson::dom::object roles;
      if (field.value.get(roles) != simdjson::SUCCESS) {
        return Status::InvalidArgument("[role_descriptors] must be an object");
      }
      for (auto role : roles) {
        LOOKALIKE_ASSIGN_OR_RETURN(RoleDescriptor descriptor, ParseRoleDescriptor(role.value));
        LOOKALIKE_RETURN_IF_ERROR(CheckRoleLimits(descriptor));
        request.role_descriptors.emplace_back(std::string(role.key), std::move(descriptor));
      }
    } else if (field.key != "metadata" && !(field.key == "expiration" && field.value.is_null())) {
      return Status::InvalidArgument("unknown or malformed field [" + std::string(field.key) +
                                     "] in the api key request");
    }
  }
  return request;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<NewApiKey> AddApiKey(SecurityState* state, std::string name, int64_t expiration_ms,
                            std::vector<std::pair<std::string, RoleDescriptor>> role_descriptors,
                            std::string owner, std::string realm,
                            std::vector<RoleDescriptor> limited_by) {
  if (name.empty() || name.size() > 1024) {
    return Status::InvalidArgument("api key name is required (at most 1024 characters)");
  }
  NewApiKey created;
  LOOKALIKE_ASSIGN_OR_RETURN(created.id, RandomToken(15));
  LOOKALIKE_ASSIGN_OR_RETURN(created.api_key, RandomToken(16));
  created.name = name;
  created.encoded = EncodeApiKey(created.id, created.api_key);
  created.expiration_ms = expiration_ms;
  ApiKey key;
  LOOKALIKE_ASSIGN_OR_RETURN(key.key_hash, HashSecret(created.api_key, ApiKeyHashParams()));
  key.name = std::move(name);
  key.username = std::move(owner);
  key.realm = std::move(realm);
  key.creation_ms = NowMs();
  key.expiration_ms = expiration_ms;
  key.role_descriptors = std::move(role_descriptors);
  key.limited_by = std::move(limited_by);
  state->api_keys.emplace(created.id, std::move(key));
  return created;
}

bool ApiKeyMatches(const std::string& id, const ApiKey& key, const ApiKeyFilter& filter) {
  if (!filter.ids.empty() &&
      std::find(filter.ids.begin(), filter.ids.end(), id) == filter.ids.end()) {
    return false;
  }
  if (!filter.name.empty() && !PatternMatches(filter.name, key.name)) return false;
  if (!filter.username.empty() && filter.username != key.username) return false;
  return true;
}

InvalidationResult InvalidateApiKeys(SecurityState* state, const ApiKeyFilter& filter) {
  InvalidationResult result;
  for (auto& [id, key] : state->api_keys) {
    if (!ApiKeyMatches(id, key, filter)) continue;
    (key.invalidated ? result.previously_invalidated : result.invalidated).push_back(id);
    key.invalidated = true;
  }
  return result;
}

}  // namespace lookalike::security
