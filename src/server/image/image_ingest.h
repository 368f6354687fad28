// Index-time embedding, the pure parts: which vector fields a mapping asks to fill from an image
// field ("source_field") and reading {"path": …} / {"base64": …} image references out of
// documents. The computed vectors travel to the engine as WriteOp::vectors (write_ops.h), not
// as text.
//
// Mapping:  "embedding": {"type": "knn_vector", "dimension": 384,
//                         "model": "mobilenet_v2_b10", "source_field": "image"}
// Document: {"image": {"path": "/photos/cat.jpg"}, ...}  or  {"image": {"base64": "iVBOR…"}}
// A document that already carries the vector field is left alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/index_definition.h"
#include "lookalike/status.h"

namespace lookalike::server {

struct EmbedSpec {
  std::string vector_field;
  std::string source_field;
  std::string model;  // "" = the registry's default
  int dims = 0;       // 0 when the mapping does not say
};

/// The top-level vector fields of `mapping` that name a "source_field" (embedded at index time).
std::vector<EmbedSpec> FindEmbedSpecs(const MappingDefinition& mapping);

/// An image reference found in a document.
struct ImageRef {
  std::string path;            // {"path": …}; empty for base64
  std::vector<uint8_t> bytes;  // {"base64": …}, decoded
};

/// nullopt when `doc_json` has no `spec.source_field` or already has `spec.vector_field`.
/// InvalidArgument (mapper_parsing_exception) when the source field is not an object with a
/// string "path" or a valid "base64", or the document is not a JSON object.
Result<std::optional<ImageRef>> FindImageRef(std::string_view doc_json, const EmbedSpec& spec);

}  // namespace lookalike::server
