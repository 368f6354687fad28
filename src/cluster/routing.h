// Which shard a document lives in: shard = floorMod(murmur3_x86_32(routing, seed 0),
// number_of_shards), where routing is the document's `routing` value if given, else its _id, as
// UTF-8 bytes. Stable across versions and nodes: it decides where data is, so changing it
// means moving every document.
//
// Elasticsearch also uses murmur3_x86_32, but over the UTF-16 code units of the routing value
// and modulo a larger `number_of_routing_shards`; the same id may land on a different shard
// number there.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace lookalike::cluster {

/// MurmurHash3 x86 32-bit of `bytes` (Austin Appleby's public-domain algorithm).
uint32_t Murmur3X86_32(std::string_view bytes, uint32_t seed = 0);

/// The shard (0 .. number_of_shards-1) for a routing value (`routing`, or the _id when the
/// request has none). `number_of_shards` must be positive.
int ShardForRouting(std::string_view routing, int number_of_shards);

}  // namespace lookalike::cluster
