// The Elasticsearch/OpenSearch codec for index management: PUT /{index}, PUT _mapping and
// PUT _settings bodies parsed once (simdjson) into lookalike/index_definition.h types, and every
// index-management result rendered as the response body clients expect. The engine neither
// parses nor writes JSON for these calls.
//
// Errors keep Elasticsearch's types and texts: parsing_exception for a body that is not JSON or
// not an object ("unknown key [x] for create index", "[settings] must be an object"),
// mapper_parsing_exception for a field definition (engine/mapping_json.h),
// action_request_validation_exception for a settings body that names no setting.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lookalike/engine.h"
#include "lookalike/index_definition.h"
#include "lookalike/status.h"

namespace lookalike::es {

// ---- Request bodies ---------------------------------------------------------------------------

/// PUT /{index}: empty (defaults) or {"settings":{...},"mappings":{...},"aliases":{...}}
/// (aliases ignored). Settings may be nested ({"index":{"knn":true}}), flat ("index.knn") or
/// without the prefix; they become "index.x.y" → text.
Result<IndexDefinition> ParseCreateIndexBody(std::string_view body);

/// The error a create-index request with an unparsable body answers: an invalid index name is
/// reported before the body (as the engine checks it first), else `body_error`.
Status CreateIndexBodyError(std::string_view name, const Status& body_error);

/// PUT /{index}/_mapping: {"properties":{...},"dynamic":...}.
Result<MappingDefinition> ParsePutMappingBody(std::string_view body);

/// PUT _settings: {"index":{...}}, flat {"index.x":...}, without the "index." prefix, or
/// wrapped in {"settings":{...}}; JSON null resets a setting (nullopt).
Result<SettingsUpdate> ParseSettingsUpdateBody(std::string_view body);

// ---- Cluster mode: the index definition kept in etcd -------------------------------------------
// A cluster keeps each index's settings and mappings as JSON (cluster/cluster_metadata.h). A
// PUT _mapping / _settings on any node computes the new JSON here, validated as a single node
// validates the same request, and writes it back; every copy then follows it.

/// The stored mappings with `update` merged in (new fields added, a changed type or dimension
/// refused), checked against the index's mapping limits. `settings_json` and `mappings_json`
/// are the stored JSON.
Result<std::string> MergeStoredMapping(std::string_view settings_json,
                                       std::string_view mappings_json,
                                       const MappingDefinition& update);

/// The stored settings after `update`, as flat JSON ({"index.x":"text",…}); `current` holds
/// index.number_of_shards / number_of_replicas as the metadata has them, and the result's
/// replicas are in *number_of_replicas. Unknown and static settings are refused with
/// Elasticsearch's texts (`label` is "name/uuid" in them).
Result<std::string> ApplyStoredSettingsUpdate(std::string_view settings_json,
                                              int number_of_shards, int* number_of_replicas,
                                              const SettingsUpdate& update,
                                              std::string_view label);

// ---- Results ----------------------------------------------------------------------------------

/// {"acknowledged":true,"shards_acknowledged":true,"index":NAME}
std::string RenderCreatedIndex(const CreatedIndex& created);
/// {"acknowledged":true}
std::string RenderAcknowledged(const Acknowledged& ack);
/// {"_shards":{"total":1,"successful":1,"failed":0}}
std::string RenderShards(const ShardsSummary& shards);
/// GET /{index}: {NAME:{"aliases":{},"mappings":{...},"settings":{"index":{...}}}}.
std::string RenderIndices(const std::vector<IndexDescription>& indices);
/// GET _mapping: {NAME:{"mappings":{...}}}.
std::string RenderMappings(const std::vector<IndexDescription>& indices);
/// GET _settings: {NAME:{"settings":{"index":{...}}[,"defaults":{...}]}}; `flat_keys`
/// (?flat_settings=true) writes "index.x.y" keys instead of nested objects.
std::string RenderSettings(const std::vector<IndexDescription>& indices, bool flat_keys,
                           bool include_defaults);
/// GET _stats: {"_shards":…,"_all":{"primaries":…,"total":…},"indices":{NAME:…}}.
std::string RenderStats(const std::vector<IndexStatistics>& indices);
/// GET _cluster/health.
std::string RenderClusterHealth(const ClusterHealthReport& health);

/// Counters of one or more shard copies, added (cluster-wide _stats).
struct StatsCounters {
  int64_t docs_count = 0;
  int64_t docs_deleted = 0;
  int64_t store_size_bytes = 0;
  int64_t knn_memory_bytes = 0;
  void Add(const StatsCounters& other) {
    docs_count += other.docs_count;
    docs_deleted += other.docs_deleted;
    store_size_bytes += other.store_size_bytes;
    knn_memory_bytes += other.knn_memory_bytes;
  }
};
/// One index of a cluster-wide _stats: `primaries` adds each shard's primary copy, `total`
/// every started copy (Elasticsearch's two sections).
struct ClusterIndexStats {
  std::string name;
  std::string uuid;
  std::string health;  // green / yellow / red
  StatsCounters primaries;
  StatsCounters total;
};
/// GET _stats of a cluster: {"_shards":SHARDS,"_all":{"primaries":…,"total":…},
/// "indices":{NAME:{"uuid":…,"health":…,"status":"open","primaries":…,"total":…}}}.
std::string RenderClusterStats(const std::vector<ClusterIndexStats>& indices,
                               const ShardsSummary& shards);

// ---- Whole calls: body text in, response text out (REST handlers, the CLI, tests) ---------

Result<std::string> CreateIndexJson(Engine& engine, std::string_view name, std::string_view body);
Result<std::string> DeleteIndexJson(Engine& engine, std::string_view name);
Result<std::string> GetIndexJson(const Engine& engine, std::string_view name);
Result<std::string> GetMappingJson(const Engine& engine, std::string_view name);
/// The index is resolved before the body is judged: a missing index is index_not_found_exception
/// whatever the body.
Result<std::string> PutMappingJson(Engine& engine, std::string_view name, std::string_view body);
Result<std::string> GetSettingsJson(const Engine& engine, std::string_view name,
                                    bool flat_keys = false, bool include_defaults = false);
Result<std::string> UpdateSettingsJson(Engine& engine, std::string_view name,
                                       std::string_view body);
Result<std::string> RefreshJson(Engine& engine, std::string_view name);
Result<std::string> FlushJson(Engine& engine, std::string_view name);
Result<std::string> StatsJson(const Engine& engine, std::string_view name);
std::string ClusterHealthJson(const Engine& engine);

}  // namespace lookalike::es
