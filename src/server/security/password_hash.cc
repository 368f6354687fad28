#include "server/security/password_hash.h"

#include <argon2.h>

#include <charconv>
#include <utility>
#include <vector>

#include "server/security/credentials.h"

namespace lookalike::security {

HashParams PasswordHashParams() { return HashParams{}; }

HashParams ApiKeyHashParams() {
  HashParams p;
  p.passes = 1;
  p.memory_kib = 1024;
  return p;
}

Result<HashParams> ParseHashParams(std::string_view encoded) {
  static constexpr std::string_view kPrefix = "$argon2id$v=19$";
  auto malformed = [] { return Status::InvalidArgument("not an argon2id v=19 PHC string"); };
  if (encoded.substr(0, kPrefix.size()) != kPrefix) return malformed();
  std::string_view rest = encoded.substr(kPrefix.size());
  HashParams params;
  const std::pair<std::string_view, uint32_t*> fields[] = {
      {"m=", &params.memory_kib}, {"t=", &params.passes}, {"p=", &params.parallelism}};
  for (const auto& [name, value] : fields) {
    if (rest.substr(0, name.size()) != name) return malformed();
    rest.remove_prefix(name.size());
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), *value);
    if (ec != std::errc() || end == rest.data()) return malformed();
    rest.remove_prefix(static_cast<size_t>(end - rest.data()));
    char separator = value == &params.parallelism ? '$' : ',';
    if (rest.empty() || rest.front() != separator) return malformed();
    rest.remove_prefix(1);
  }
  return params;
}

Status CheckHashCost(const HashParams& params) {
  bool ok = params.passes >= 1 && params.passes <= kMaxHashPasses && params.parallelism >= 1 &&
            params.parallelism <= kMaxHashParallelism &&
            params.memory_kib >= 8 * params.parallelism && params.memory_kib <= kMaxHashMemoryKib;
  if (ok) return Status::OK();
  return Status::InvalidArgument(
      "argon2id cost m=" + std::to_string(params.memory_kib) +
      ",t=" + std::to_string(params.passes) + ",p=" + std::to_string(params.parallelism) +
      " is outside m=8*p.." + std::to_string(kMaxHashMemoryKib) + ",t=1.." +
      std::to_string(kMaxHashPasses) + ",p=1.." + std::to_string(kMaxHashParallelism));
}

Result<std::string> HashSecret(std::string_view secret, const HashParams& params) {
  constexpr size_t kSaltBytes = 16;
  constexpr size_t kHashBytes = 32;
  LOOKALIKE_ASSIGN_OR_RETURN(std::string salt_text, RandomToken(kSaltBytes));
  // The token is base64 of 16 random bytes; hash its bytes as the salt.
  size_t length = argon2_encodedlen(params.passes, params.memory_kib, params.parallelism,
                                    static_cast<uint32_t>(salt_text.size()), kHashBytes, Argon2_id);
  std::string encoded(length, '\0');
  int rc = argon2id_hash_encoded(params.passes, params.memory_kib, params.parallelism,
                                 secret.data(), secret.size(), salt_text.data(), salt_text.size(),
                                 kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return Status::InvalidArgument(std::string("cannot hash: ") + argon2_error_message(rc));
  }
  encoded.resize(encoded.find('\0') == std::string::npos ? encoded.size() : encoded.find('\0'));
  return encoded;
}

bool VerifySecret(std::string_view secret, const std::string& encoded) {
  // The hash names its own cost; never run one outside the bounds (see kMaxHashMemoryKib).
  auto params = ParseHashParams(encoded);
  if (!params.ok() || !CheckHashCost(*params).ok()) return false;
  return argon2id_verify(encoded.c_str(), secret.data(), secret.size()) == ARGON2_OK;
}

std::string KeyedDigest(std::string_view data, std::string_view key) {
  std::string digest(32, '\0');
  // argon2 needs a salt of at least 8 bytes; the key is a per-process random token.
  int rc = argon2id_hash_raw(1, 8, 1, data.data(), data.size(), key.data(), key.size(),
                             digest.data(), digest.size());
  if (rc != ARGON2_OK) return {};
  return digest;
}

}  // namespace lookalike::security
