// See image_ingest.h.
#include "server/image/image_ingest.h"

#include <simdjson.h>

#include "server/image/image_query.h"

namespace lookalike::server {
namespace {

Status MapperError(std::string_view why) {
  return Status::InvalidArgument(why).WithKind(ErrorKind::kMappingParse);
}

}  // namespace

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

Result<std::optional<ImageRef>> FindImageRef(std::string_view doc_json, const EmbedSpec& spec) {
  simdjson::dom::parser parser;
  simdjson::dom::object doc;
  if (parser.parse(doc_json).get(doc) != simdjson::SUCCESS) {
    return MapperError("failed to parse the document: not a JSON object");
  }
  simdjson::dom::element source, existing;
  if (doc[spec.source_field].get(source) != simdjson::SUCCESS) return std::optional<ImageRef>();
  if (doc[spec.vector_field].get(existing) == simdjson::SUCCESS) return std::optional<ImageRef>();
  std::string where = "[" + spec.source_field + "] (the image for [" + spec.vector_field + "])";
  simdjson::dom::object obj;
  if (source.get(obj) != simdjson::SUCCESS) {
    return MapperError(where + " must be an object with \"path\" or \"base64\"");
  }
  ImageRef ref;
  std::string_view path, b64;
  if (obj["path"].get(path) == simdjson::SUCCESS) {
    ref.path = std::string(path);
  } else if (obj["base64"].get(b64) == simdjson::SUCCESS) {
    auto bytes = DecodeBase64(b64);
    if (!bytes.ok()) return MapperError(where + ": base64 is not valid");
    ref.bytes = std::move(bytes).value();
  } else {
    return MapperError(where + " must be an object with a string \"path\" or \"base64\"");
  }
  return std::optional<ImageRef>(std::move(ref));
}

}  // namespace lookalike::server
