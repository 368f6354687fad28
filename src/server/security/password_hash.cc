#include "server/security/password_hash.h"

#include <argon2.h>

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
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
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
