// See image_query.h.
#include "server/image/image_query.h"

#include <simdjson.h>
#include <stdlib.h>

#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "common/base64.h"
#include "common/json_writer.h"
#include "server/es/query_parse.h"

namespace lookalike::server {
namespace {

Status Parsing(std::string_view why) {
  return Status::InvalidArgument(why).WithType("parsing_exception");
}
Status Illegal(std::string_view why) {
  return Status::InvalidArgument(why).WithType("illegal_argument_exception");
}

// Looks for a vector field in `properties`, depth first, in mapping order.
void CollectVectorFields(simdjson::dom::object properties, const std::string& prefix,
                         std::vector<std::pair<std::string, simdjson::dom::object>>* out) {
  for (auto [key, value] : properties) {
    simdjson::dom::object def;
    if (value.get(def) != simdjson::SUCCESS) continue;
    std::string path = prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
    std::string_view type;
    if (def["type"].get(type) == simdjson::SUCCESS &&
        (type == "knn_vector" || type == "dense_vector")) {
      out->emplace_back(path, def);
    }
    simdjson::dom::object inner;
    if (def["properties"].get(inner) == simdjson::SUCCESS) CollectVectorFields(inner, path, out);
  }
}

}  // namespace

Result<std::vector<uint8_t>> DecodeBase64(std::string_view text) {
  return DecodeImageBase64(text);
}

Result<VectorField> FindVectorField(std::string_view mapping_json, std::string_view index,
                                    std::string_view requested) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::object properties;
  if (parser.parse(mapping_json).get(doc) != simdjson::SUCCESS) {
    return Status::Corruption("unreadable mapping");
  }
  simdjson::dom::object root;
  if (doc.get(root) != simdjson::SUCCESS) return Status::Corruption("unreadable mapping");
  simdjson::dom::element entry;
  if (root[index].get(entry) != simdjson::SUCCESS) {
    // A mapping body for one index has exactly one key; take it whatever its name (aliases).
    if (root.begin() == root.end()) return Illegal("index has no mapping");
    entry = (*root.begin()).value;
  }
  std::vector<std::pair<std::string, simdjson::dom::object>> fields;
  if (entry["mappings"]["properties"].get(properties) == simdjson::SUCCESS) {
    CollectVectorFields(properties, "", &fields);
  }
  const std::pair<std::string, simdjson::dom::object>* chosen = nullptr;
  for (const auto& f : fields) {
    if (requested.empty() || f.first == requested) {
      chosen = &f;
      break;
    }
  }
  if (chosen == nullptr) {
    if (!requested.empty()) {
      return Illegal("field [" + std::string(requested) + "] of index [" + std::string(index) +
                     "] is not a knn_vector or dense_vector field");
    }
    return Illegal("index [" + std::string(index) +
                   "] has no knn_vector or dense_vector field to search images by");
  }
  VectorField out;
  out.name = chosen->first;
  simdjson::dom::element dim;
  if (chosen->second["dimension"].get(dim) == simdjson::SUCCESS ||
      chosen->second["dims"].get(dim) == simdjson::SUCCESS) {
    int64_t d = 0;
    double dd = 0;
    if (dim.get(d) == simdjson::SUCCESS) {
      out.dims = static_cast<int>(d);
    } else if (dim.get(dd) == simdjson::SUCCESS) {
      out.dims = static_cast<int>(dd);
    }
  }
  std::string_view model;
  if (chosen->second["model"].get(model) == simdjson::SUCCESS) out.model = std::string(model);
  return out;
}

Result<QueryNode> ParseFilterQuery(std::string_view text, size_t max_clause_count) {
  simdjson::dom::parser parser;
  simdjson::dom::element el;
  if (parser.parse(text).get(el) != simdjson::SUCCESS || !el.is_object()) {
    return Parsing("[filter] must be a JSON object holding a query, e.g. "
                   "{\"term\":{\"category\":\"fruit\"}}");
  }
  // The filter nests in the image query's knn clause: itself one clause more.
  if (1 + es::CountQueryClauses(el, max_clause_count) > max_clause_count) {
    return es::TooManyClauses(max_clause_count);
  }
  return es::ParseQueryNode(el);
}

Result<int> ParseThumbnailSize(std::string_view text) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() ||
      v < kMinThumbnailSide || v > kMaxThumbnailSide) {
    return Status::InvalidArgument("[size] must be an integer in [" +
                                   std::to_string(kMinThumbnailSide) + ", " +
                                   std::to_string(kMaxThumbnailSide) + "], got [" +
                                   std::string(text) + "]")
        .WithType("illegal_argument_exception");
  }
  return v;
}

}  // namespace lookalike::server
