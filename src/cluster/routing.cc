// Document routing; see routing.h.
#include "cluster/routing.h"

#include <cassert>
#include <cstring>

namespace lookalike::cluster {
namespace {

constexpr uint32_t kC1 = 0xcc9e2d51;
constexpr uint32_t kC2 = 0x1b873593;

uint32_t RotateLeft(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

uint32_t MixBlock(uint32_t k) {
  k *= kC1;
  k = RotateLeft(k, 15);
  return k * kC2;
}

uint32_t Finalize(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

}  // namespace

uint32_t Murmur3X86_32(std::string_view bytes, uint32_t seed) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t blocks = bytes.size() / 4;
  uint32_t h = seed;
  for (size_t i = 0; i < blocks; ++i) {
    uint32_t k;
    std::memcpy(&k, data + i * 4, 4);  // little-endian blocks (static_assert in coding.h)
    h ^= MixBlock(k);
    h = RotateLeft(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  const uint8_t* tail = data + blocks * 4;
  uint32_t k = 0;
  switch (bytes.size() & 3) {
    case 3:
      k ^= uint32_t{tail[2]} << 16;
      [[fallthrough]];
    case 2:
      k ^= uint32_t{tail[1]} << 8;
      [[fallthrough]];
    case 1:
      k ^= tail[0];
      h ^= MixBlock(k);
  }
  h ^= static_cast<uint32_t>(bytes.size());
  return Finalize(h);
}

int ShardForRouting(std::string_view routing, int number_of_shards) {
  assert(number_of_shards > 0);
  // As a signed 32-bit value with a non-negative remainder (Java's Math.floorMod on an int).
  int64_t hash = static_cast<int32_t>(Murmur3X86_32(routing));
  int64_t shard = hash % number_of_shards;
  if (shard < 0) shard += number_of_shards;
  return static_cast<int>(shard);
}

}  // namespace lookalike::cluster
