// See image_ingest.h.
#include "server/image/image_ingest.h"

namespace lookalike::server {

std::vector<EmbedSpec> FindEmbedSpecs(const MappingDefinition& mapping) {
  std::vector<EmbedSpec> specs;
  for (const FieldDefinition* field : mapping.EmbeddedFields()) {
    if (field->path.find('.') != std::string::npos) continue;  // top-level fields only
    EmbedSpec spec;
    spec.vector_field = field->path;
    spec.source_field = field->embedding->source_field;
    spec.model = field->embedding->model;
    spec.dims = static_cast<int>(field->vector.dims);
    specs.push_back(std::move(spec));
  }
  return specs;
}

}  // namespace lookalike::server
