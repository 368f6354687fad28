// Index management as C++ types: what PUT /{index}, PUT _mapping and PUT _settings ask for
// (IndexDefinition, MappingDefinition, SettingsUpdate) and what GET /{index}, _mapping,
// _settings, _refresh, _flush, _stats and _cluster/health answer. The Elasticsearch codec
// (src/server/es/index_codec.h) parses request bodies into these types and renders the results;
// the engine (lookalike/engine.h) neither parses nor writes JSON for these calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/vector_index.h"

namespace lookalike {

// ---- Mappings --------------------------------------------------------------------------------

/// A field's type. The accepted aliases (half_float, scaled_float, nested, ...) map to the type
/// that behaves like them (see FieldTypeName for the canonical spelling).
enum class FieldType : uint8_t {
  kObject, kKeyword, kText, kLong, kInteger, kShort, kByte, kDouble, kFloat, kBoolean, kDate,
  kKnnVector, kDenseVector,
};

/// The mapping's "dynamic" parameter: how fields the mapping does not name are handled while
/// indexing (kTrue: added by dynamic mapping; kFalse: kept in _source only; kStrict: the
/// document is refused). "runtime" is accepted as kFalse.
enum class DynamicMapping : uint8_t { kTrue, kFalse, kStrict };

/// How a knn_vector / dense_vector field is indexed and scored.
struct VectorFieldOptions {
  size_t dims = 0;
  /// The space_type (knn_vector, OpenSearch names) or similarity (dense_vector, Elasticsearch
  /// names). Empty for a knn_vector that names none: the engine then takes index.knn.space_type
  /// or the default.
  std::string similarity;
  bool flat = false;     // exact search (method "flat", index_options.type *flat)
  bool indexed = true;   // dense_vector "index": false → not searchable by knn
  HnswParams hnsw;       // m, ef_construction, ef_search and the traversal code (encoder)
};

/// How a vector field is embedded from images (Lookalike's image API): "source_field" names the
/// document's image field ("" = vectors come with the documents, e.g. from ingest-images),
/// "model" the embedding model ("" = the server's default).
struct EmbeddingSpec {
  std::string source_field;
  std::string model;
};

/// One field, by full dotted path ("user.name"). Multi-fields ("title.keyword") are fields of
/// their own with is_subfield set; their parent lists their paths in `subfields`.
struct FieldDefinition {
  std::string path;
  FieldType type = FieldType::kKeyword;
  bool is_subfield = false;
  std::vector<std::string> subfields;
  int ignore_above = -1;  // keyword: longer values are not indexed (-1 = no limit)
  /// An object mapped as `nested` (type kObject): its objects are separate entries of a list.
  /// The engine acts on it only for vector fields below it (many vectors per document, see
  /// docs/design/engine.md "Nested vector fields"); other fields are searched as if flattened.
  bool nested = false;
  VectorFieldOptions vector;               // vector types only
  std::optional<EmbeddingSpec> embedding;  // vector types with a source_field or model only
  /// The field's parameters exactly as the client wrote them, JSON; GET _mapping echoes them
  /// (Elasticsearch keeps parameters it does not act on, such as analyzer). The engine stores
  /// this text and never reads it. Empty for fields made by dynamic mapping and for objects:
  /// the codec then renders the typed values.
  std::string given_parameters;
};

/// A mapping, or the part of one that a request adds. `fields` holds every field in order
/// (an object before its children, a field before its multi-fields).
struct MappingDefinition {
  std::optional<DynamicMapping> dynamic;  // unset in a request: unchanged (a new index: kTrue)
  std::vector<FieldDefinition> fields;

  /// The field at `path`, or null.
  const FieldDefinition* Find(std::string_view path) const;
  /// Vector fields embedded at index time (an EmbeddingSpec with a source_field), in order.
  std::vector<const FieldDefinition*> EmbeddedFields() const;
};

/// Per-index limits on the mapping (Elasticsearch's index.mapping.*.limit settings). They are
/// checked whenever a request makes the mapping grow (index creation, PUT _mapping, dynamic
/// mapping while indexing), never when an index is loaded: what was accepted once always loads.
struct MappingLimits {
  /// index.mapping.total_fields.limit: fields of every kind (objects and multi-fields count).
  int64_t total_fields = 1000;
  /// index.mapping.depth.limit: object nesting; a top-level field has depth 1.
  int64_t depth = 20;
  /// index.mapping.nested_objects.limit: the most objects one document may hold in one
  /// `nested` field (each may hold a vector entry of its own).
  int64_t nested_objects = 10000;
  /// index.mapping.field_name_length.limit in bytes per name segment ("a" and "b" of "a.b");
  /// unlimited by default as in Elasticsearch, but a 255-byte cap always applies.
  int64_t field_name_length = INT64_MAX;
};

// ---- Settings --------------------------------------------------------------------------------

/// Settings as the client gave them, "index.x.y" → text (scalars as their text, arrays as JSON
/// text), ordered by key: exactly what the index metadata stores and GET _settings shows. The
/// engine validates the known ones into its typed view (number_of_shards, knn, limits, slow
/// log, ...) and keeps unknown keys as given.
using SettingsMap = std::map<std::string, std::string>;

/// A PUT _settings request: key → new text, or nullopt for JSON null (back to the default).
using SettingsUpdate = std::map<std::string, std::optional<std::string>>;

/// PUT /{index}: settings and mappings (aliases are accepted and ignored).
struct IndexDefinition {
  SettingsMap settings;
  MappingDefinition mapping;
};

// ---- Results ---------------------------------------------------------------------------------

/// PUT /{index}: the created index's name. On a cluster, `acknowledged` says every node saw the
/// new index in time and `shards_acknowledged` that every shard had a started primary in time
/// (Elasticsearch's wait_for_active_shards=1); one node always answers both true.
struct CreatedIndex {
  std::string index;
  bool acknowledged = true;
  bool shards_acknowledged = true;
};

/// DELETE /{index}, PUT _mapping, PUT _settings: the request was applied and is durable.
struct Acknowledged {
  bool acknowledged = true;
};

/// _refresh and _flush: how many shard copies took part (one primary per index, no replicas).
struct ShardsSummary {
  int64_t total = 1;
  int64_t successful = 1;
  int64_t failed = 0;
};

/// GET /{index}, /_mapping, /_settings: one index. `settings` includes the values the node
/// manages (index.uuid, index.creation_date, index.provided_name, index.version.created);
/// `defaults` is filled only when asked for (the defaults of known settings not set).
struct IndexDescription {
  std::string name;
  MappingDefinition mapping;
  SettingsMap settings;
  SettingsMap defaults;
};

/// _stats: one vector field of an index (not in Elasticsearch): what its index holds and how it
/// came up at open.
struct VectorFieldStats {
  std::string field;
  std::string kind;  // the vector index implementation ("hnsw", "flat", ...)
  int64_t vectors = 0;
  int64_t deleted = 0;
  int64_t memory_bytes = 0;
  bool loaded_from_snapshot = false;
  int64_t snapshot_seq_no = -1;
  int64_t replayed_on_open = 0;
};

/// _stats: one index (primaries and total are the same: there are no replicas).
struct IndexStatistics {
  std::string name;
  std::string uuid;
  int64_t docs_count = 0;
  int64_t docs_deleted = 0;
  int64_t store_size_bytes = 0;
  int64_t knn_memory_bytes = 0;
  std::vector<VectorFieldStats> vector_fields;
};

/// GET /_cluster/health of the single node.
struct ClusterHealthReport {
  std::string status = "green";  // "red" when an index failed to load, "yellow" with replicas
  int64_t active_primary_shards = 0;
  int64_t active_shards = 0;
  int64_t unassigned_shards = 0;
  double active_shards_percent = 100.0;
  int64_t number_of_nodes = 1;  // a cluster node (serve --cluster) counts the live nodes
};

}  // namespace lookalike
