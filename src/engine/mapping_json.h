// The JSON form of a mapping (lookalike/index_definition.h): the value of "mappings" in a
// create-index body, a PUT _mapping body, GET _mapping, and the stored index metadata (the same
// text, so data directories written before the typed API load unchanged). One parser and one
// writer for all of them: the codec (src/server/es/index_codec.h) calls them for requests and
// responses, the index metadata (engine/index.cc) for what it stores.
#pragma once

#include <string_view>

#include "common/json_writer.h"
#include "engine/json_util.h"
#include "lookalike/index_definition.h"
#include "lookalike/status.h"

namespace lookalike::engine {

/// Parses {"properties":{...},"dynamic":...} (also the legacy {"_doc":{"properties":...}}) into
/// its fields, in order. mapper_parsing_exception with Elasticsearch's texts for a definition
/// that cannot be a field (no type, unknown type, bad dimension, method, encoder, space type,
/// similarity, index options, ignore_above). What depends on the index (type changes of
/// existing fields, the default space type, limits) is checked when the engine merges it.
Result<MappingDefinition> ParseMappingJson(element mappings);

/// {"properties":{...}} (plus "dynamic" when not kTrue), nested by object. A field's
/// given_parameters are written as they are; fields without them are written from their types.
void WriteMappingJson(JsonWriter& w, const MappingDefinition& mapping);

/// The canonical name of a type ("keyword", "knn_vector", ...); the spelling of a name in
/// a mapping (aliases included), or nullopt when no type has that name.
std::string_view FieldTypeName(FieldType type);
std::optional<FieldType> FieldTypeNamed(std::string_view name);

}  // namespace lookalike::engine
