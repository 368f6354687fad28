// The pure (I/O-free) pieces of the image REST API, kept apart from the handlers so they can
// be unit-tested: base64, finding an index's vector field and model in its mapping, parsing the
// filter form field into a query tree, and the thumbnail size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/query_dsl.h"
#include "lookalike/index_definition.h"
#include "lookalike/status.h"

namespace lookalike::server {

/// Standard or URL-safe base64, padding optional, ASCII whitespace ignored, an optional
/// "data:<type>;base64," prefix skipped. InvalidArgument for anything else.
Result<std::vector<uint8_t>> DecodeBase64(std::string_view text);

struct VectorField {
  std::string name;   // dotted path of the knn_vector / dense_vector field
  int dims = 0;       // "dimension" / "dims" (0 when the mapping does not say)
  std::string model;  // the field's "model" option ("" when absent)
};

/// Picks the vector field of index `index`'s `mapping`: `requested` when given (it must be a
/// vector field), else the crops field of `ingest-images --crops` (a vector directly under a
/// nested object, with a "model"), else the first vector field by path. InvalidArgument when
/// there is none.
Result<VectorField> FindVectorField(const MappingDefinition& mapping, std::string_view index,
                                    std::string_view requested);

/// Paths of every vector field of `mapping` (an object holding vectors, such as the crops of
/// `ingest-images --crops`, by the object's path), for leaving them out of `_source`.
std::vector<std::string> VectorFieldPaths(const MappingDefinition& mapping);

/// A "filter" form value: a JSON object holding one query (parsing_exception otherwise), as a
/// query tree; too_many_clauses above `max_clause_count`.
Result<QueryNode> ParseFilterQuery(std::string_view text, size_t max_clause_count = 1024);

/// Largest thumbnail GET /{index}/_image/{id}?size=N makes (longest side, pixels).
inline constexpr int kMaxThumbnailSide = 2048;
inline constexpr int kMinThumbnailSide = 8;

/// The `size` parameter of GET _image: an integer in [kMinThumbnailSide, kMaxThumbnailSide].
/// InvalidArgument (illegal_argument_exception) for anything else.
Result<int> ParseThumbnailSize(std::string_view text);

}  // namespace lookalike::server
