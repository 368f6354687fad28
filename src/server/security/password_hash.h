// Salted argon2id hashes (libargon2) in the PHC string form
//   $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
// which carries its own parameters, so stored hashes keep verifying when the defaults change.
// Passwords use the OWASP-recommended cost (19 MiB, 2 passes, ~20-50 ms); API keys are 128 random
// bits, which no cost factor makes harder to guess, so they use a cheap setting.
//
// Thread safety: free functions; argon2 allocates its own working memory per call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lookalike/status.h"

namespace lookalike::security {

struct HashParams {
  uint32_t passes = 2;
  uint32_t memory_kib = 19 * 1024;
  uint32_t parallelism = 1;
};

HashParams PasswordHashParams();
HashParams ApiKeyHashParams();

/// The most a stored hash may ask of a verification. A hash carries its own cost, so without a
/// bound one edited line of security.json (say m=4194304) would make every login attempt for
/// that user allocate gigabytes or run for minutes. Far above what HashSecret writes.
inline constexpr uint32_t kMaxHashMemoryKib = 256 * 1024;
inline constexpr uint32_t kMaxHashPasses = 10;
inline constexpr uint32_t kMaxHashParallelism = 16;

/// The cost parameters of an argon2id PHC string in the form HashSecret writes
/// ("$argon2id$v=19$m=<kib>,t=<passes>,p=<lanes>$..."); InvalidArgument when it is not one.
Result<HashParams> ParseHashParams(std::string_view encoded);
/// InvalidArgument when `params` exceed the bounds above or are below argon2's minimums.
Status CheckHashCost(const HashParams& params);

/// A fresh 16-byte random salt and the encoded argon2id hash of `secret`.
Result<std::string> HashSecret(std::string_view secret, const HashParams& params);

/// True when `secret` hashes to `encoded` (compared in constant time by libargon2); false for a
/// wrong secret, for a malformed `encoded` and for one whose cost fails CheckHashCost (it is
/// never run).
bool VerifySecret(std::string_view secret, const std::string& encoded);

/// A fixed-size digest of `data` under `key` (argon2id at its minimum cost: one pass over 8 KiB),
/// for cache keys that must not keep a secret in memory in the clear.
std::string KeyedDigest(std::string_view data, std::string_view key);

}  // namespace lookalike::security
