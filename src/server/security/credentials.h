// Credentials on the wire, as Elasticsearch sends them:
//   Authorization: Basic base64(username:password)
//   Authorization: ApiKey base64(id:api_key)      (the "encoded" value of a created key)
// plus the small primitives the rest of the module builds on: base64 and random tokens from the
// kernel. (Secrets are compared only inside libargon2's verify, which is constant-time.)
//
// Thread safety: free functions without shared state.
#pragma once

#include <string>
#include <string_view>

#include "common/base64.h"
#include "lookalike/status.h"

namespace lookalike::security {

using ::lookalike::Base64Decode;  // src/common/base64.h
using ::lookalike::Base64Encode;

/// `bytes` random bytes from getrandom(2), as URL-safe base64 without padding.
Result<std::string> RandomToken(size_t bytes);

enum class CredentialKind {
  kNone,    // no Authorization header
  kBasic,   // a user's name and password
  kApiKey,  // an API key's id and secret
};

struct Credentials {
  CredentialKind kind = CredentialKind::kNone;
  std::string principal;  // username or API key id
  std::string secret;     // password or API key; never logged
};

/// Parses an Authorization header value ("" → kNone). The scheme is case-insensitive.
/// InvalidArgument for an unknown scheme or a value that is not base64 of "a:b"; the message
/// names the problem but never echoes the secret.
Result<Credentials> ParseAuthorization(std::string_view header_value);

/// base64(id ":" key), the form clients put after "ApiKey ".
std::string EncodeApiKey(std::string_view id, std::string_view key);

}  // namespace lookalike::security
