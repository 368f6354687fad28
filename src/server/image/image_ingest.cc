// See image_ingest.h.
#include "server/image/image_ingest.h"

#include <simdjson.h>


namespace lookalike::server {
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

}  // namespace lookalike::server
