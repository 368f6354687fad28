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

namespace {
std::vector<EmbedSpec> EmbedSpecsIn(simdjson::dom::object properties) {
  std::vector<EmbedSpec> specs;
  for (auto [name, def] : properties) {
    std::string_view type, source, model;
    if (def["type"].get(type) != simdjson::SUCCESS ||
        (type != "knn_vector" && type != "dense_vector") ||
        def["source_field"].get(source) != simdjson::SUCCESS || source.empty()) {
      continue;
    }
    EmbedSpec spec;
    spec.vector_field = std::string(name);
    spec.source_field = std::string(source);
    if (def["model"].get(model) == simdjson::SUCCESS) spec.model = std::string(model);
    int64_t dims = 0;
    if (def["dimension"].get(dims) == simdjson::SUCCESS || def["dims"].get(dims) == simdjson::SUCCESS) {
      spec.dims = static_cast<int>(dims);
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}
}  // namespace

std::vector<EmbedSpec> FindEmbedSpecs(std::string_view mapping_json, std::string_view index) {
  simdjson::dom::parser parser;
  simdjson::dom::object root, properties;
  if (parser.parse(mapping_json).get(root) != simdjson::SUCCESS) return {};
  simdjson::dom::element entry;
  if (root[index].get(entry) != simdjson::SUCCESS) {
    if (root.begin() == root.end()) return {};
    entry = (*root.begin()).value;
  }
  if (entry["mappings"]["properties"].get(properties) != simdjson::SUCCESS) return {};
  return EmbedSpecsIn(properties);
}

std::vector<EmbedSpec> FindEmbedSpecsInRequest(std::string_view body, bool is_create) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::object properties;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) return {};
  auto props = is_create ? root["mappings"]["properties"] : root["properties"];
  if (props.get(properties) != simdjson::SUCCESS) return {};
  return EmbedSpecsIn(properties);
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
