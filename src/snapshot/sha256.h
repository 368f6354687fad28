// SHA-256 (OpenSSL) for the content addresses and checksums of repository blobs.
//
// Thread safety: a Sha256 object is used by one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace lookalike::snapshot {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view bytes);
  /// The digest as 64 lowercase hex characters; the object is spent afterwards.
  std::string HexDigest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// SHA-256 of `bytes` as lowercase hex.
std::string Sha256Hex(std::string_view bytes);
/// True for 64 lowercase hex characters (a blob name).
bool IsSha256Hex(std::string_view text);

}  // namespace lookalike::snapshot
