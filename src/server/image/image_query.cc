// See image_query.h.
#include "server/image/image_query.h"

#include <simdjson.h>
#include <stdlib.h>

#include <algorithm>
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
  return Status::InvalidArgument(why).WithKind(ErrorKind::kMalformedRequest);
}
Status Illegal(std::string_view why) {
  return Status::InvalidArgument(why).WithKind(ErrorKind::kInvalidValue);
}

}  // namespace

Result<std::vector<uint8_t>> DecodeBase64(std::string_view text) {
  return DecodeImageBase64(text);
}

Result<VectorField> FindVectorField(const MappingDefinition& mapping, std::string_view index,
                                    std::string_view requested) {
  const FieldDefinition* chosen = nullptr;
  auto is_vector = [](const FieldDefinition& f) {
    return f.type == FieldType::kKnnVector || f.type == FieldType::kDenseVector;
  };
  if (requested.empty()) {
    // The crops of `ingest-images --crops` first: a vector directly under a nested object that
    // records its model (the engine's NeuralTargetOf picks the same field).
    for (const FieldDefinition& f : mapping.fields) {
      size_t dot = f.path.rfind('.');
      const FieldDefinition* parent =
          dot == std::string::npos ? nullptr : mapping.Find(std::string_view(f.path).substr(0, dot));
      if (is_vector(f) && parent != nullptr && parent->nested && f.embedding &&
          !f.embedding->model.empty()) {
        chosen = &f;
        break;
      }
    }
  }
  for (const FieldDefinition& f : mapping.fields) {
    if (chosen == nullptr && is_vector(f) && (requested.empty() || f.path == requested)) {
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
  out.name = chosen->path;
  out.dims = static_cast<int>(chosen->vector.dims);
  if (chosen->embedding) out.model = chosen->embedding->model;
  return out;
}

std::vector<std::string> VectorFieldPaths(const MappingDefinition& mapping) {
  std::vector<std::string> out;
  for (const FieldDefinition& f : mapping.fields) {
    if (f.type != FieldType::kKnnVector && f.type != FieldType::kDenseVector) continue;
    std::string path = f.path;
    // A vector in a nested object: the object's entries are vectors plus boxes, all noise here.
    if (size_t dot = path.rfind('.'); dot != std::string::npos) {
      const FieldDefinition* parent = mapping.Find(std::string_view(path).substr(0, dot));
      if (parent != nullptr && parent->nested) path.resize(dot);
    }
    if (std::find(out.begin(), out.end(), path) == out.end()) out.push_back(std::move(path));
  }
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
    return Status::InvalidArgument(
               "[size] must be an integer in [" + std::to_string(kMinThumbnailSide) + ", " +
               std::to_string(kMaxThumbnailSide) + "], got [" + std::string(text) + "]")
        .WithKind(ErrorKind::kInvalidValue);
  }
  return v;
}

}  // namespace lookalike::server
