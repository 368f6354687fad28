// FNV-1a, 64 bits: a fast, stable, non-cryptographic hash for names and chunk boundaries whose
// inputs are not chosen by an attacker (never for anything an adversary could exploit by
// crafting collisions).
#pragma once

#include <cstdint>
#include <string_view>

namespace lookalike {

inline uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace lookalike
