// The cluster's metadata as etcd stores it (issue 9; layout in docs/design/cluster.md): the
// keys under /lookalike/ and their JSON values, encoded and decoded here and nowhere else.
//
//   /lookalike/cluster/uuid                       the cluster uuid (created once)
//   /lookalike/indices/<name>                     IndexMetadata
//   /lookalike/shards/<index-uuid>/<shard>        ShardAssignment
//   /lookalike/leader                             name of the node that assigns shards (leased)
//   /lookalike/applied/<index-uuid>/<shard>/<node> last stream sequence that copy applied (leased)
//
// The index definition (settings, mappings) is kept as the JSON the client sent, minified: the
// Elasticsearch codec parses it into the typed IndexDefinition on every node that needs it, so
// the cluster layer never interprets mappings.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"

namespace lookalike::cluster {

inline constexpr std::string_view kMetadataPrefix = "/lookalike/";
inline constexpr std::string_view kClusterUuidKey = "/lookalike/cluster/uuid";
inline constexpr std::string_view kIndicesPrefix = "/lookalike/indices/";
inline constexpr std::string_view kShardsPrefix = "/lookalike/shards/";
inline constexpr std::string_view kLeaderKey = "/lookalike/leader";
inline constexpr std::string_view kAppliedPrefix = "/lookalike/applied/";

/// One index of the cluster.
struct IndexMetadata {
  std::string name;
  std::string uuid;  // 32 lowercase hex characters: names streams and local copies
  int number_of_shards = 1;
  int number_of_replicas = 1;
  std::string settings_json = "{}";  // the create request's "settings" object, as given
  std::string mappings_json = "{}";  // the create request's "mappings" object, as given
  int64_t creation_date_ms = 0;
};

/// Where the copies of one shard live. `primary` is "" while no node holds the shard.
struct ShardAssignment {
  std::string primary;
  std::vector<std::string> replicas;
  int64_t primary_term = 1;

  /// primary (when set) then replicas.
  std::vector<std::string> Copies() const;
  bool Holds(std::string_view node) const;
  bool operator==(const ShardAssignment& other) const = default;
};

std::string IndexKey(std::string_view name);
std::string ShardKey(std::string_view index_uuid, int shard);
std::string ShardsPrefixOf(std::string_view index_uuid);
std::string AppliedKey(std::string_view index_uuid, int shard, std::string_view node);
std::string AppliedPrefixOf(std::string_view index_uuid);

/// A fresh random index (or cluster) uuid: 32 lowercase hex characters.
std::string NewUuid();

std::string EncodeIndexMetadata(const IndexMetadata& meta);
/// `name` is the key's last part. Corruption for a value that is not this JSON.
Result<IndexMetadata> DecodeIndexMetadata(std::string_view name, std::string_view json);

std::string EncodeShardAssignment(const ShardAssignment& assignment);
Result<ShardAssignment> DecodeShardAssignment(std::string_view json);

/// "/lookalike/shards/<uuid>/<n>" → (uuid, n); false for any other key.
bool ParseShardKey(std::string_view key, std::string* uuid, int* shard);
/// "/lookalike/applied/<uuid>/<n>/<node>" → (uuid, n, node); false for any other key.
bool ParseAppliedKey(std::string_view key, std::string* uuid, int* shard, std::string* node);

}  // namespace lookalike::cluster
