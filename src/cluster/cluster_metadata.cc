// The etcd metadata codec; see cluster_metadata.h.
#include "cluster/cluster_metadata.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <random>

#include "common/json_writer.h"

namespace lookalike::cluster {
namespace {

Status BadValue(std::string_view what, std::string_view json) {
  return Status::Corruption("etcd value of " + std::string(what) + " is not valid: " +
                            std::string(json.substr(0, 200)));
}

bool ParseInt(std::string_view text, int* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out >= 0;
}

}  // namespace

std::vector<std::string> ShardAssignment::Copies() const {
  std::vector<std::string> out;
  if (!primary.empty()) out.push_back(primary);
  out.insert(out.end(), replicas.begin(), replicas.end());
  return out;
}

bool ShardAssignment::Holds(std::string_view node) const {
  return primary == node || std::find(replicas.begin(), replicas.end(), node) != replicas.end();
}

std::string IndexKey(std::string_view name) {
  return std::string(kIndicesPrefix) + std::string(name);
}
std::string ShardsPrefixOf(std::string_view index_uuid) {
  return std::string(kShardsPrefix) + std::string(index_uuid) + "/";
}
std::string ShardKey(std::string_view index_uuid, int shard) {
  return ShardsPrefixOf(index_uuid) + std::to_string(shard);
}
std::string AppliedPrefixOf(std::string_view index_uuid) {
  return std::string(kAppliedPrefix) + std::string(index_uuid) + "/";
}
std::string AppliedKey(std::string_view index_uuid, int shard, std::string_view node) {
  return AppliedPrefixOf(index_uuid) + std::to_string(shard) + "/" + std::string(node);
}

std::string NewUuid() {
  // Not security-relevant: uniqueness across creations is what matters.
  thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  uint64_t bits = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i % 16 == 0) bits = rng();
    out[i] = kHex[bits & 0xf];
    bits >>= 4;
  }
  return out;
}

std::string EncodeIndexMetadata(const IndexMetadata& meta) {
  JsonWriter w;
  w.BeginObject().Key("uuid").String(meta.uuid);
  w.Key("number_of_shards").Int(meta.number_of_shards);
  w.Key("number_of_replicas").Int(meta.number_of_replicas);
  w.Key("creation_date").Int(meta.creation_date_ms);
  w.Key("settings").Raw(meta.settings_json.empty() ? "{}" : meta.settings_json);
  w.Key("mappings").Raw(meta.mappings_json.empty() ? "{}" : meta.mappings_json);
  w.EndObject();
  return w.Take();
}

Result<IndexMetadata> DecodeIndexMetadata(std::string_view name, std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return BadValue(IndexKey(name), json);
  }
  IndexMetadata meta;
  meta.name = std::string(name);
  std::string_view uuid;
  int64_t shards = 0, replicas = 0, created = 0;
  simdjson::dom::object settings, mappings;
  if (root["uuid"].get(uuid) != simdjson::SUCCESS ||
      root["number_of_shards"].get(shards) != simdjson::SUCCESS ||
      root["number_of_replicas"].get(replicas) != simdjson::SUCCESS ||
      root["settings"].get(settings) != simdjson::SUCCESS ||
      root["mappings"].get(mappings) != simdjson::SUCCESS || shards < 1 || shards > 1024 ||
      replicas < 0 || replicas > 1024) {
    return BadValue(IndexKey(name), json);
  }
  if (root["creation_date"].get(created) != simdjson::SUCCESS) created = 0;
  meta.uuid = std::string(uuid);
  meta.number_of_shards = static_cast<int>(shards);
  meta.number_of_replicas = static_cast<int>(replicas);
  meta.creation_date_ms = created;
  meta.settings_json = simdjson::minify(settings);
  meta.mappings_json = simdjson::minify(mappings);
  return meta;
}

std::string EncodeShardAssignment(const ShardAssignment& assignment) {
  JsonWriter w;
  w.BeginObject().Key("primary").String(assignment.primary).Key("replicas").BeginArray();
  for (const std::string& node : assignment.replicas) w.String(node);
  w.EndArray().Key("primary_term").Int(assignment.primary_term).EndObject();
  return w.Take();
}

Result<ShardAssignment> DecodeShardAssignment(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ShardAssignment out;
  std::string_view primary;
  simdjson::dom::array replicas;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS ||
      root["primary"].get(primary) != simdjson::SUCCESS ||
      root["replicas"].get(replicas) != simdjson::SUCCESS ||
      root["primary_term"].get(out.primary_term) != simdjson::SUCCESS) {
    return BadValue("a shard assignment", json);
  }
  out.primary = std::string(primary);
  for (simdjson::dom::element node : replicas) {
    std::string_view name;
    if (node.get(name) != simdjson::SUCCESS) return BadValue("a shard assignment", json);
    out.replicas.emplace_back(name);
  }
  return out;
}

bool ParseShardKey(std::string_view key, std::string* uuid, int* shard) {
  if (key.substr(0, kShardsPrefix.size()) != kShardsPrefix) return false;
  key.remove_prefix(kShardsPrefix.size());
  size_t slash = key.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  *uuid = std::string(key.substr(0, slash));
  return ParseInt(key.substr(slash + 1), shard);
}

bool ParseAppliedKey(std::string_view key, std::string* uuid, int* shard, std::string* node) {
  if (key.substr(0, kAppliedPrefix.size()) != kAppliedPrefix) return false;
  key.remove_prefix(kAppliedPrefix.size());
  size_t first = key.find('/');
  if (first == std::string_view::npos || first == 0) return false;
  size_t second = key.find('/', first + 1);
  if (second == std::string_view::npos || second + 1 >= key.size()) return false;
  *uuid = std::string(key.substr(0, first));
  *node = std::string(key.substr(second + 1));
  return ParseInt(key.substr(first + 1, second - first - 1), shard);
}

}  // namespace lookalike::cluster
