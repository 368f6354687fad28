// Index mappings: field types, vector field parameters and dynamic mapping, following the
// Elasticsearch 8 / OpenSearch k-NN mapping syntax.
//
// Fields are kept flat by full dotted path ("user.name"); multi-fields are separate entries
// ("title.keyword") whose parent lists them. Dynamic mapping (dynamic: true, the default):
// strings become `text` with a `keyword` sub-field (ignore_above 256) unless they look like a
// date (date_detection), integers `long`, other numbers `float`, booleans `boolean`, objects
// recurse. Arrays take the type of their first non-null element. dynamic: false ignores unknown
// fields (kept in _source); dynamic: strict rejects the document.
//
// Thread safety: a Mapping is a value; the owning index guards it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/json_writer.h"
#include "engine/json_util.h"
#include "index/metric.h"
#include "lookalike/status.h"
#include "lookalike/vector_index.h"

namespace lookalike::engine {

enum class FieldType {
  kObject, kKeyword, kText, kLong, kInteger, kShort, kByte, kDouble, kFloat, kBoolean, kDate,
  kKnnVector, kDenseVector,
};

std::string_view FieldTypeName(FieldType type);
bool IsNumeric(FieldType type);  // long..float and date (numeric column)
bool IsVector(FieldType type);

/// How a vector field is indexed and scored.
struct VectorSpec {
  size_t dim = 0;
  /// The space_type (knn_vector) or similarity (dense_vector) row of index/metric.h: the name,
  /// the metric and the score formula. Never null.
  const VectorSimilarity* similarity = &DefaultSimilarity();
  Metric metric = Metric::kL2;  // == similarity->metric: what the vector index is built with
  bool flat = false;               // exact search (dense_vector index_options.type flat)
  bool indexed = true;             // dense_vector index: false → not searchable by knn
  HnswParams hnsw;
  /// Index-time embedding (lookalike/field_embedder.h): the field is filled from the image held
  /// in the document field `source_field` by `model` ("" = the embedder's default). Only
  /// top-level vector fields are filled; `model` also picks the model of neural queries.
  std::string source_field;
  std::string model;
};

/// OpenSearch/ES score of a distance from the vector index (smaller distance = closer): the
/// similarity's formula.
float VectorScore(const VectorSpec& spec, float distance);

struct FieldMapping {
  std::string path;
  FieldType type = FieldType::kKeyword;
  std::string definition;           // the field's JSON as given (or generated), for GET _mapping
  std::vector<std::string> subfields;  // full paths of multi-fields
  bool is_subfield = false;
  int ignore_above = -1;            // keyword: longer values are not indexed
  VectorSpec vector;
};

/// Per-index limits on the mapping (Elasticsearch's index.mapping.*.limit settings). They are
/// checked whenever a request makes the mapping grow (index creation, PUT _mapping, dynamic
/// mapping while indexing), never when an index is loaded: what was accepted once always loads.
struct MappingLimits {
  /// index.mapping.total_fields.limit: fields of every kind (objects and multi-fields count).
  int64_t total_fields = 1000;
  /// index.mapping.depth.limit: object nesting; a top-level field has depth 1.
  int64_t depth = 20;
  /// index.mapping.nested_objects.limit: accepted and validated only; `nested` is mapped as a
  /// plain object here, so there are no nested documents to count.
  int64_t nested_objects = 10000;
  /// index.mapping.field_name_length.limit in bytes per name segment ("a" and "b" of "a.b");
  /// unlimited by default as in Elasticsearch, but kMaxFieldNameSegmentBytes always applies.
  int64_t field_name_length = INT64_MAX;
};

/// Hard cap on one segment of a field name, whatever index.mapping.field_name_length.limit says.
inline constexpr size_t kMaxFieldNameSegmentBytes = 255;

class Mapping {
 public:
  /// Parses {"properties":{...},"dynamic":...} (the value of "mappings"). Adds to this mapping;
  /// an existing field whose type changes is illegal_argument_exception. `index_settings`
  /// supplies index.knn.space_type defaults. mapper_parsing_exception for bad definitions.
  Status Merge(element mappings, std::string_view default_space_type);

  const FieldMapping* Find(std::string_view path) const;
  const std::map<std::string, FieldMapping>& fields() const { return fields_; }
  std::string_view dynamic() const { return dynamic_; }

  /// Adds a dynamically detected field (and its sub-fields) for a sample value.
  /// Returns the new mapping or nullptr when dynamic mapping ignores the field. With `limits`
  /// the field is refused (illegal_argument_exception, mapping unchanged) when adding it would
  /// break one of them; null `limits` (loading stored documents) accepts it.
  Result<const FieldMapping*> AddDynamic(const std::string& path, element sample,
                                         const MappingLimits* limits);

  /// Dynamic additions are journaled so a refused document can take its fields back out
  /// (Elasticsearch applies a document's dynamic mapping update all or nothing). Begin clears
  /// the journal; Rollback removes every field added since.
  void BeginDynamicJournal() { journal_.clear(); }
  void RollbackDynamic();

  /// illegal_argument_exception with Elasticsearch's wording when the mapping breaks a limit
  /// ("Limit of total fields [1000] has been exceeded", "Limit of mapping depth [20] has been
  /// exceeded due to object field [a.b]", "Field name [x] is longer than the limit of [n]
  /// characters").
  Status CheckLimits(const MappingLimits& limits) const;

  /// {"properties":{...}} (plus "dynamic" when not the default), nested by object.
  void WriteJson(JsonWriter& w) const;
  std::string ToJson() const;

 private:
  Status AddField(const std::string& path, element def, std::string_view default_space_type);

  std::map<std::string, FieldMapping> fields_;
  std::string dynamic_ = "true";
  std::vector<std::string> journal_;  // fields AddDynamic created since BeginDynamicJournal
};

}  // namespace lookalike::engine
