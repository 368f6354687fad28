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
#include <optional>
#include <string>
#include <vector>

#include "engine/json_util.h"
#include "engine/mapping_json.h"
#include "index/metric.h"
#include "lookalike/index_definition.h"
#include "lookalike/status.h"
#include "lookalike/vector_index.h"

namespace lookalike::engine {

using lookalike::FieldType;
using lookalike::MappingLimits;

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
};

/// OpenSearch/ES score of a distance from the vector index (smaller distance = closer): the
/// similarity's formula.
float VectorScore(const VectorSpec& spec, float distance);

struct FieldMapping {
  std::string path;
  FieldType type = FieldType::kKeyword;
  std::string given_parameters;     // FieldDefinition::given_parameters, kept for GET _mapping
  std::vector<std::string> subfields;  // full paths of multi-fields
  bool is_subfield = false;
  int ignore_above = -1;            // keyword: longer values are not indexed
  VectorSpec vector;
  /// Index-time embedding (lookalike/field_embedder.h): a vector field is filled from the image
  /// held in the document field `source_field` by `model` ("" = the embedder's default). Only
  /// top-level vector fields are filled; `model` also picks the model of neural queries.
  std::optional<EmbeddingSpec> embedding;
  /// kObject: mapped as `nested` (FieldDefinition::nested).
  bool nested = false;
  /// Vector fields below a nested object: the nested object's path ("crops" for "crops.emb").
  /// Such a field holds a list of vectors per document, each indexed under its own label
  /// (NestedLabel); "" for a vector field holding one vector per document.
  std::string nested_path;
};

/// The vector index label of the `ordinal`-th vector of a nested vector field in document
/// `docnum` (ordinals count the document's non-empty vectors of the field: 0, 1, ...).
inline uint64_t NestedLabel(uint32_t docnum, uint32_t ordinal) {
  return (uint64_t{docnum} << 32) | ordinal;
}
inline uint32_t NestedLabelDoc(uint64_t label) { return static_cast<uint32_t>(label >> 32); }
inline uint32_t NestedLabelOrdinal(uint64_t label) { return static_cast<uint32_t>(label); }

/// Hard cap on one segment of a field name, whatever index.mapping.field_name_length.limit says.
inline constexpr size_t kMaxFieldNameSegmentBytes = 255;

class Mapping {
 public:
  /// Adds the fields of `definition` (ParseMappingJson, or a caller's) and takes its dynamic
  /// mode when set. An existing field whose type or dimension changes is
  /// kInvalidValue; a knn_vector without a space type takes `default_space_type`
  /// (index.knn.space_type) or the default, kMappingParse when it names none.
  /// On error the mapping may be partly changed: merge into a copy.
  Status Merge(const MappingDefinition& definition, std::string_view default_space_type);
  /// The mapping as a MappingDefinition (fields ordered by path, dynamic set).
  MappingDefinition Describe() const;

  const FieldMapping* Find(std::string_view path) const;
  const std::map<std::string, FieldMapping>& fields() const { return fields_; }
  DynamicMapping dynamic() const { return dynamic_; }

  /// Adds a dynamically detected field (and its sub-fields) for a sample value.
  /// Returns the new mapping or nullptr when dynamic mapping ignores the field. With `limits`
  /// the field is refused (kInvalidValue, mapping unchanged) when adding it would
  /// break one of them; null `limits` (loading stored documents) accepts it.
  Result<const FieldMapping*> AddDynamic(const std::string& path, element sample,
                                         const MappingLimits* limits);

  /// Dynamic additions are journaled so a refused document can take its fields back out
  /// (Elasticsearch applies a document's dynamic mapping update all or nothing). Begin clears
  /// the journal; Rollback removes every field added since.
  void BeginDynamicJournal() { journal_.clear(); }
  void RollbackDynamic();

  /// kInvalidValue with Elasticsearch's wording when the mapping breaks a limit
  /// ("Limit of total fields [1000] has been exceeded", "Limit of mapping depth [20] has been
  /// exceeded due to object field [a.b]", "Field name [x] is longer than the limit of [n]
  /// characters").
  Status CheckLimits(const MappingLimits& limits) const;

 private:
  Status AddField(const FieldDefinition& def, std::string_view default_space_type);
  /// The nested object above vector field `path` ("" when none); kInvalidValue for a vector
  /// under two nested levels or an embedded (source_field/model) vector under one.
  Result<std::string> NestedParent(const std::string& path, const FieldDefinition& def) const;

  std::map<std::string, FieldMapping> fields_;
  DynamicMapping dynamic_ = DynamicMapping::kTrue;
  std::vector<std::string> journal_;  // fields AddDynamic created since BeginDynamicJournal
};

}  // namespace lookalike::engine
