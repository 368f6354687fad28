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
  return Status::InvalidArgument(why).WithKind(ErrorKind::kMalformedRequest);
}
Status Illegal(std::string_view why) {
  return Status::InvalidArgument(why).WithKind(ErrorKind::kInvalidValue);
}

}  // namespace

Result<std::vector<uint8_t>> DecodeBase64(std::string_view text) {
  if (text.substr(0, 5) == "data:") {
    size_t comma = text.find(',');
    if (comma == std::string_view::npos || text.substr(0, comma).find(";base64") ==
                                               std::string_view::npos) {
      return Illegal("query_image: a data: URL must be base64 encoded");
    }
    text.remove_prefix(comma + 1);
  }
  auto out = Base64DecodeBytes(text, /*skip_whitespace=*/true);
  if (!out.ok()) return Illegal("query_image is not valid base64");
  if (out->empty()) return Illegal("query_image is empty");
  return out;
}

Result<VectorField> FindVectorField(const MappingDefinition& mapping, std::string_view index,
                                    std::string_view requested) {
  const FieldDefinition* chosen = nullptr;
  for (const FieldDefinition& f : mapping.fields) {
    bool is_vector = f.type == FieldType::kKnnVector || f.type == FieldType::kDenseVector;
    if (is_vector && (requested.empty() || f.path == requested)) {
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

Result<std::optional<NeuralQuery>> ParseNeuralQuery(std::string_view body, int max_k,
                                                    size_t max_clause_count) {
  // Cheap test first: most searches are not neural and must not pay for a second parse.
  if (body.find("\"neural\"") == std::string_view::npos) return std::optional<NeuralQuery>();
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(body).get(root) != simdjson::SUCCESS) {
    return std::optional<NeuralQuery>();  // not JSON: the search handler reports it
  }
  simdjson::dom::object neural;
  if (root["query"]["neural"].get(neural) != simdjson::SUCCESS) return std::optional<NeuralQuery>();
  NeuralQuery q;
  size_t fields = 0;
  simdjson::dom::object clause;
  for (auto [key, value] : neural) {
    ++fields;
    q.field = std::string(key);
    if (value.get(clause) != simdjson::SUCCESS) {
      return Parsing("[neural] query for field [" + q.field + "] must be an object");
    }
  }
  if (fields != 1) return Parsing("[neural] query must name exactly one field");
  for (auto [key, value] : clause) {
    if (key == "query_image") {
      std::string_view b64;
      if (value.get(b64) != simdjson::SUCCESS) return Parsing("[neural] query_image must be a string");
      LOOKALIKE_ASSIGN_OR_RETURN(q.image, DecodeBase64(b64));
    } else if (key == "k") {
      int64_t k = 0;
      if (value.get(k) != simdjson::SUCCESS || k < 1 || k > max_k) {
        return Illegal("[neural] k must be an integer in [1, " + std::to_string(max_k) + "]");
      }
      q.k = static_cast<int>(k);
    } else if (key == "filter") {
      if (!value.is_object()) return Parsing("[neural] filter must be an object");
      // The filter nests in the knn clause the neural query becomes: itself one clause more.
      if (1 + es::CountQueryClauses(value, max_clause_count) > max_clause_count) {
        return es::TooManyClauses(max_clause_count);
      }
      LOOKALIKE_ASSIGN_OR_RETURN(QueryNode filter, es::ParseQueryNode(value));
      q.filter = std::make_shared<const QueryNode>(std::move(filter));
    } else if (key == "model_id") {
      std::string_view m;
      if (value.get(m) != simdjson::SUCCESS) return Parsing("[neural] model_id must be a string");
      q.model = std::string(m);
    } else if (key == "query_text") {
      return Illegal("[neural] query_text is not supported: no text model is available; "
                     "use query_image");
    } else if (key == "boost" || key == "_name") {
      // accepted and ignored
    } else {
      return Parsing("[neural] unknown parameter [" + std::string(key) + "]");
    }
  }
  if (q.image.empty()) return Parsing("[neural] query for [" + q.field + "] needs query_image");
  simdjson::dom::element size;
  q.has_size = root["size"].get(size) == simdjson::SUCCESS;
  return std::optional<NeuralQuery>(std::move(q));
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

std::string EmbedTookFields(double ms, std::string_view model) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.1f", ms);
  std::string out = "\"embed_took\":";
  out += buf;
  out += ",\"model\":";
  AppendJsonString(&out, model);
  return out;
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
