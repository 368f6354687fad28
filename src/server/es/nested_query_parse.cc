// The "nested" query (query_parse.h ParseNestedQuery). The engine keeps nested objects flat
// except for vector fields, whose vectors are indexed one by one and searched with each
// document scored by its best vector (docs/design/engine.md "Nested vector fields"). That is
// exactly OpenSearch's nested knn query with score_mode max, so that form becomes the knn node
// it wraps; every other form would need nested documents and is refused by name.
#include "server/es/query_parse.h"

namespace lookalike::es {

using engine::AsObject;
using engine::IllegalArgument;
using engine::ParsingError;

Result<QueryNode> ParseNestedQuery(element body) {
  if (!body.is_object()) return ParsingError("[nested] query malformed: expected an object");
  std::string_view path;
  if (body.at_key("path").get_string().get(path) != simdjson::SUCCESS || path.empty()) {
    return ParsingError("[nested] requires 'path' field");
  }
  element inner;
  if (body.at_key("query").get(inner) != simdjson::SUCCESS) {
    return ParsingError("[nested] requires 'query' field");
  }
  for (auto kv : AsObject(body)) {
    if (kv.key == "path" || kv.key == "query" || kv.key == "_name") continue;
    if (kv.key == "score_mode") {
      std::string_view mode;
      if (kv.value.get_string().get(mode) != simdjson::SUCCESS || mode != "max") {
        return IllegalArgument("[nested] [score_mode] must be [max]: a document is scored by "
                               "its best vector; other score modes are not supported");
      }
      continue;
    }
    if (kv.key == "inner_hits") {
      return IllegalArgument("[nested] [inner_hits] is not supported yet");
    }
    if (kv.key == "ignore_unmapped" || kv.key == "boost") {
      return IllegalArgument("[nested] [" + std::string(kv.key) + "] is not supported");
    }
    return ParsingError("[nested] query does not support [" + std::string(kv.key) + "]");
  }
  LOOKALIKE_ASSIGN_OR_RETURN(QueryNode q, ParseQueryNode(inner));
  const KnnNode* knn = std::get_if<KnnNode>(&q.node);
  const std::string prefix = std::string(path) + ".";
  if (knn == nullptr || knn->field.compare(0, prefix.size(), prefix) != 0) {
    return IllegalArgument("[nested] query on path [" + std::string(path) +
                           "] supports only a [knn] query on a vector field under [" +
                           std::string(path) + "]; nested documents for other queries are not "
                           "supported");
  }
  return q;
}

}  // namespace lookalike::es
