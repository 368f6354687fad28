// Which vector fields of an index are filled from an image field ("source_field"), read from the
// index's typed mapping (Engine::DescribeIndices): GET /{index}/_image/{id} serves a document's image from there. The
// embedding itself is the engine's (lookalike/field_embedder.h).
//
// Mapping:  "embedding": {"type": "knn_vector", "dimension": 384,
//                         "model": "mobilenet_v2_b10", "source_field": "image"}
// Document: {"image": {"path": "/photos/cat.jpg"}, ...}  or  {"image": {"base64": "iVBOR…"}}
#pragma once

#include <string_view>
#include <vector>

#include "lookalike/field_embedder.h"
#include "lookalike/index_definition.h"

namespace lookalike::server {

/// The top-level vector fields of `mapping` that name a "source_field" (embedded at index time).
std::vector<EmbedSpec> FindEmbedSpecs(const MappingDefinition& mapping);

}  // namespace lookalike::server
