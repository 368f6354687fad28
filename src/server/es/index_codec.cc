// See index_codec.h.
#include "server/es/index_codec.h"

#include <functional>
#include <map>

#include "common/json_writer.h"
#include "engine/index_settings.h"
#include "engine/json_util.h"
#include "engine/mapping_json.h"

namespace lookalike::es {
namespace {

using engine::element;
using engine::ParseJson;
using engine::AsObject;
using engine::ParsingError;

bool IsBlank(std::string_view body) {
  return body.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Writes a flat "a.b.c" → value map as nested objects (keys sorted, so siblings are adjacent).
void WriteNested(JsonWriter& w, SettingsMap::const_iterator begin, SettingsMap::const_iterator end,
                 size_t skip) {
  w.BeginObject();
  auto it = begin;
  while (it != end) {
    std::string_view rest = std::string_view(it->first).substr(skip);
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos) {
      w.Key(rest).String(it->second);
      ++it;
      continue;
    }
    std::string head(rest.substr(0, dot));
    std::string group_prefix = it->first.substr(0, skip) + head + ".";
    auto group_end = it;
    while (group_end != end &&
           group_end->first.compare(0, group_prefix.size(), group_prefix) == 0) {
      ++group_end;
    }
    w.Key(head);
    WriteNested(w, it, group_end, group_prefix.size());
    it = group_end;
  }
  w.EndObject();
}

void WriteSettingsObject(JsonWriter& w, const SettingsMap& flat, bool flat_keys) {
  if (!flat_keys) return WriteNested(w, flat.begin(), flat.end(), 0);
  w.BeginObject();
  for (const auto& [key, value] : flat) w.Key(key).String(value);
  w.EndObject();
}

void WriteStatsBlock(JsonWriter& w, int64_t docs, int64_t deleted, int64_t store, int64_t vec) {
  w.BeginObject().Key("docs").BeginObject().Key("count").Int(docs).Key("deleted").Int(deleted)
      .EndObject().Key("store").BeginObject().Key("size_in_bytes").Int(store).EndObject()
      .Key("knn").BeginObject().Key("memory_bytes").Int(vec).EndObject().EndObject();
}

template <typename T, typename Render>
Result<std::string> RenderResult(Result<T> result, Render render) {
  if (!result.ok()) return result.status();
  return render(*result);
}

}  // namespace

Result<IndexDefinition> ParseCreateIndexBody(std::string_view body) {
  IndexDefinition out;
  if (IsBlank(body)) return out;
  simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(element root, ParseJson(parser, body));
  if (!root.is_object()) return ParsingError("request body must be a JSON object");
  for (auto kv : engine::AsObject(root)) {
    if (kv.key != "settings" && kv.key != "mappings" && kv.key != "aliases") {
      return ParsingError("unknown key [" + std::string(kv.key) + "] for create index");
    }
  }
  element settings;
  if (root.at_key("settings").get(settings) == simdjson::SUCCESS) {
    if (!settings.is_object()) return ParsingError("[settings] must be an object");
    engine::FlattenSettings(settings, &out.settings);
  }
  element mappings;
  if (root.at_key("mappings").get(mappings) == simdjson::SUCCESS) {
    LOOKALIKE_ASSIGN_OR_RETURN(out.mapping, engine::ParseMappingJson(mappings));
  }
  return out;
}

namespace {
Result<IndexDefinition> StoredDefinition(std::string_view settings_json,
                                         std::string_view mappings_json) {
  return ParseCreateIndexBody("{\"settings\":" + std::string(settings_json) +
                              ",\"mappings\":" + std::string(mappings_json) + "}");
}
}  // namespace

Result<std::string> MergeStoredMapping(std::string_view settings_json,
                                       std::string_view mappings_json,
                                       const MappingDefinition& update) {
  LOOKALIKE_ASSIGN_OR_RETURN(IndexDefinition stored,
                             StoredDefinition(settings_json, mappings_json));
  LOOKALIKE_ASSIGN_OR_RETURN(engine::IndexSettings settings,
                             engine::ParseIndexSettings(stored.settings, true));
  engine::Mapping mapping;
  LOOKALIKE_RETURN_IF_ERROR(mapping.Merge(stored.mapping, settings.knn_space_type));
  LOOKALIKE_RETURN_IF_ERROR(mapping.Merge(update, settings.knn_space_type));
  LOOKALIKE_RETURN_IF_ERROR(mapping.CheckLimits(settings.mapping_limits));
  JsonWriter w;
  engine::WriteMappingJson(w, mapping.Describe());
  return w.Take();
}

Result<std::string> ApplyStoredSettingsUpdate(std::string_view settings_json,
                                              int number_of_shards, int* number_of_replicas,
                                              const SettingsUpdate& update,
                                              std::string_view label) {
  if (update.empty()) {
    return Status::InvalidArgument("Validation Failed: 1: no settings to update;")
        .WithKind(ErrorKind::kRequestValidation);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(IndexDefinition stored, StoredDefinition(settings_json, "{}"));
  stored.settings["index.number_of_shards"] = std::to_string(number_of_shards);
  stored.settings["index.number_of_replicas"] = std::to_string(*number_of_replicas);
  LOOKALIKE_ASSIGN_OR_RETURN(engine::FlatSettings next,
                             engine::ApplySettingsUpdate(stored.settings, update, label));
  LOOKALIKE_ASSIGN_OR_RETURN(engine::IndexSettings parsed, engine::ParseIndexSettings(next));
  if (parsed.number_of_replicas < 0 || parsed.number_of_replicas > 1024) {
    return Status::InvalidArgument("Failed to parse value [" +
                                   std::to_string(parsed.number_of_replicas) +
                                   "] for setting [index.number_of_replicas] must be between 0 "
                                   "and 1024")
        .WithKind(ErrorKind::kInvalidValue);
  }
  *number_of_replicas = parsed.number_of_replicas;
  JsonWriter w;
  w.BeginObject();
  for (const auto& [key, value] : parsed.flat) w.Key(key).String(value);
  w.EndObject();
  return w.Take();
}

Status CreateIndexBodyError(std::string_view name, const Status& body_error) {
  Status name_status = ValidateIndexName(name);
  return name_status.ok() ? body_error : name_status;
}

Result<MappingDefinition> ParsePutMappingBody(std::string_view body) {
  simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(element root, ParseJson(parser, body));
  return engine::ParseMappingJson(root);
}

Result<SettingsUpdate> ParseSettingsUpdateBody(std::string_view body_json) {
  if (body_json.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Status::InvalidArgument("Validation Failed: 1: no settings to update;")
        .WithKind(ErrorKind::kRequestValidation);
  }
  thread_local simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(element root, ParseJson(parser, body_json));
  if (!root.is_object()) return ParsingError("the settings body must be a JSON object");
  element inner;
  auto obj = AsObject(root);
  if (obj.size() == 1 && root.at_key("settings").get(inner) == simdjson::SUCCESS) {
    if (!inner.is_object()) return ParsingError("[settings] must be an object");
    root = inner;
  }
  SettingsMap flat;
  engine::FlattenSettings(root, &flat);
  SettingsUpdate update;
  for (auto& [key, text] : flat) update[key] = std::move(text);
  // Nulls: Flatten wrote them as "null"; a JSON null (not the string "null") resets.
  std::vector<std::string> nulls;
  std::function<void(element, const std::string&)> find_nulls = [&](element e,
                                                                    const std::string& prefix) {
    if (e.is_object()) {
      for (auto kv : AsObject(e)) {
        find_nulls(kv.value,
                   prefix.empty() ? std::string(kv.key) : prefix + "." + std::string(kv.key));
      }
    } else if (e.is_null()) {
      nulls.push_back(prefix.rfind("index.", 0) == 0 ? prefix : "index." + prefix);
    }
  };
  find_nulls(root, "");
  for (const std::string& key : nulls) update[key] = std::nullopt;
  if (update.empty()) {
    return Status::InvalidArgument("Validation Failed: 1: no settings to update;")
        .WithKind(ErrorKind::kRequestValidation);
  }
  return update;
}

std::string RenderCreatedIndex(const CreatedIndex& created) {
  JsonWriter w;
  w.BeginObject().Key("acknowledged").Bool(created.acknowledged);
  w.Key("shards_acknowledged").Bool(created.shards_acknowledged);
  w.Key("index").String(created.index).EndObject();
  return w.Take();
}

std::string RenderAcknowledged(const Acknowledged& ack) {
  JsonWriter w;
  w.BeginObject().Key("acknowledged").Bool(ack.acknowledged).EndObject();
  return w.Take();
}

std::string RenderShards(const ShardsSummary& shards) {
  JsonWriter w;
  w.BeginObject().Key("_shards").BeginObject().Key("total").Int(shards.total)
      .Key("successful").Int(shards.successful).Key("failed").Int(shards.failed).EndObject()
      .EndObject();
  return w.Take();
}

std::string RenderIndices(const std::vector<IndexDescription>& indices) {
  JsonWriter w;
  w.BeginObject();
  for (const IndexDescription& index : indices) {
    w.Key(index.name).BeginObject().Key("aliases").BeginObject().EndObject().Key("mappings");
    engine::WriteMappingJson(w, index.mapping);
    w.Key("settings");
    WriteSettingsObject(w, index.settings, false);
    w.EndObject();
  }
  w.EndObject();
  return w.Take();
}

std::string RenderMappings(const std::vector<IndexDescription>& indices) {
  JsonWriter w;
  w.BeginObject();
  for (const IndexDescription& index : indices) {
    w.Key(index.name).BeginObject().Key("mappings");
    engine::WriteMappingJson(w, index.mapping);
    w.EndObject();
  }
  w.EndObject();
  return w.Take();
}

std::string RenderSettings(const std::vector<IndexDescription>& indices, bool flat_keys,
                           bool include_defaults) {
  JsonWriter w;
  w.BeginObject();
  for (const IndexDescription& index : indices) {
    w.Key(index.name).BeginObject().Key("settings");
    WriteSettingsObject(w, index.settings, flat_keys);
    if (include_defaults) {
      w.Key("defaults");
      WriteSettingsObject(w, index.defaults, flat_keys);
    }
    w.EndObject();
  }
  w.EndObject();
  return w.Take();
}

std::string RenderStats(const std::vector<IndexStatistics>& indices) {
  int64_t docs = 0, deleted = 0, store = 0, vec = 0;
  for (const IndexStatistics& r : indices) {
    docs += r.docs_count;
    deleted += r.docs_deleted;
    store += r.store_size_bytes;
    vec += r.knn_memory_bytes;
  }
  auto count = static_cast<int64_t>(indices.size());
  JsonWriter w;
  w.BeginObject().Key("_shards").BeginObject().Key("total").Int(count)
      .Key("successful").Int(count).Key("failed").Int(0).EndObject();
  w.Key("_all").BeginObject().Key("primaries");
  WriteStatsBlock(w, docs, deleted, store, vec);
  w.Key("total");
  WriteStatsBlock(w, docs, deleted, store, vec);
  w.EndObject().Key("indices").BeginObject();
  for (const IndexStatistics& r : indices) {
    w.Key(r.name).BeginObject().Key("uuid").String(r.uuid).Key("primaries");
    WriteStatsBlock(w, r.docs_count, r.docs_deleted, r.store_size_bytes, r.knn_memory_bytes);
    w.Key("total");
    WriteStatsBlock(w, r.docs_count, r.docs_deleted, r.store_size_bytes, r.knn_memory_bytes);
    // Per vector field (not in Elasticsearch): what the index holds and how it was opened.
    w.Key("knn").BeginObject().Key("fields").BeginObject();
    for (const VectorFieldStats& f : r.vector_fields) {
      w.Key(f.field).BeginObject().Key("kind").String(f.kind).Key("vectors").Int(f.vectors)
          .Key("deleted").Int(f.deleted).Key("memory_bytes").Int(f.memory_bytes)
          .Key("loaded_from_snapshot").Bool(f.loaded_from_snapshot)
          .Key("snapshot_seq_no").Int(f.snapshot_seq_no)
          .Key("replayed_on_open").Int(f.replayed_on_open).EndObject();
    }
    w.EndObject().EndObject();
    w.EndObject();
  }
  w.EndObject().EndObject();
  return w.Take();
}

std::string RenderClusterStats(const std::vector<ClusterIndexStats>& indices,
                               const ShardsSummary& shards) {
  auto block = [](JsonWriter& w, const StatsCounters& c) {
    WriteStatsBlock(w, c.docs_count, c.docs_deleted, c.store_size_bytes, c.knn_memory_bytes);
  };
  StatsCounters primaries, total;
  for (const ClusterIndexStats& index : indices) {
    primaries.Add(index.primaries);
    total.Add(index.total);
  }
  JsonWriter w;
  w.BeginObject().Key("_shards").BeginObject().Key("total").Int(shards.total)
      .Key("successful").Int(shards.successful).Key("failed").Int(shards.failed).EndObject();
  w.Key("_all").BeginObject().Key("primaries");
  block(w, primaries);
  w.Key("total");
  block(w, total);
  w.EndObject().Key("indices").BeginObject();
  for (const ClusterIndexStats& index : indices) {
    w.Key(index.name).BeginObject().Key("uuid").String(index.uuid);
    w.Key("health").String(index.health).Key("status").String("open").Key("primaries");
    block(w, index.primaries);
    w.Key("total");
    block(w, index.total);
    w.EndObject();
  }
  w.EndObject().EndObject();
  return w.Take();
}

std::string RenderClusterHealth(const ClusterHealthReport& h) {
  JsonWriter w;
  w.BeginObject().Key("cluster_name").String("lookalike").Key("status").String(h.status)
      .Key("timed_out").Bool(false).Key("number_of_nodes").Int(h.number_of_nodes)
      .Key("number_of_data_nodes").Int(h.number_of_nodes).Key("active_primary_shards")
      .Int(h.active_primary_shards).Key("active_shards").Int(h.active_shards)
      .Key("relocating_shards").Int(0).Key("initializing_shards").Int(0)
      .Key("unassigned_shards").Int(h.unassigned_shards).Key("delayed_unassigned_shards").Int(0)
      .Key("number_of_pending_tasks").Int(0).Key("number_of_in_flight_fetch").Int(0)
      .Key("task_max_waiting_in_queue_millis").Int(0)
      .Key("active_shards_percent_as_number").Double(h.active_shards_percent).EndObject();
  return w.Take();
}

Result<std::string> CreateIndexJson(Engine& engine, std::string_view name, std::string_view body) {
  auto definition = ParseCreateIndexBody(body);
  if (!definition.ok()) return CreateIndexBodyError(name, definition.status());
  return RenderResult(engine.CreateIndex(name, *definition), RenderCreatedIndex);
}

Result<std::string> DeleteIndexJson(Engine& engine, std::string_view name) {
  return RenderResult(engine.DeleteIndex(name), RenderAcknowledged);
}

Result<std::string> GetIndexJson(const Engine& engine, std::string_view name) {
  return RenderResult(engine.DescribeIndices(name), RenderIndices);
}

Result<std::string> GetMappingJson(const Engine& engine, std::string_view name) {
  return RenderResult(engine.DescribeIndices(name), RenderMappings);
}

Result<std::string> PutMappingJson(Engine& engine, std::string_view name, std::string_view body) {
  auto mapping = ParsePutMappingBody(body);
  if (!mapping.ok()) {
    // The index is resolved first, as Elasticsearch does.
    LOOKALIKE_RETURN_IF_ERROR(engine.DescribeIndices(name).status());
    return mapping.status();
  }
  return RenderResult(engine.PutMapping(name, *mapping), RenderAcknowledged);
}

Result<std::string> GetSettingsJson(const Engine& engine, std::string_view name, bool flat_keys,
                                    bool include_defaults) {
  return RenderResult(engine.DescribeIndices(name, include_defaults),
                      [&](const std::vector<IndexDescription>& indices) {
                        return RenderSettings(indices, flat_keys, include_defaults);
                      });
}

Result<std::string> UpdateSettingsJson(Engine& engine, std::string_view name,
                                       std::string_view body) {
  LOOKALIKE_ASSIGN_OR_RETURN(SettingsUpdate update, ParseSettingsUpdateBody(body));
  return RenderResult(engine.UpdateSettings(name, update), RenderAcknowledged);
}

Result<std::string> RefreshJson(Engine& engine, std::string_view name) {
  return RenderResult(engine.Refresh(name), RenderShards);
}

Result<std::string> FlushJson(Engine& engine, std::string_view name) {
  return RenderResult(engine.Flush(name), RenderShards);
}

Result<std::string> StatsJson(const Engine& engine, std::string_view name) {
  return RenderResult(engine.Stats(name), RenderStats);
}

std::string ClusterHealthJson(const Engine& engine) {
  return RenderClusterHealth(engine.ClusterHealth());
}

}  // namespace lookalike::es
