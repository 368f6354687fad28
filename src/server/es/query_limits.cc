// indices.query.bool.max_clause_count: counting the clauses of a query before it is parsed, so
// a request with a million clauses is refused for the cost of counting to the limit.
#include "server/es/query_parse.h"

namespace lookalike::es {
namespace {

using engine::AsArray;
using engine::AsObject;

// Adds the clauses below one query object {TYPE: BODY} to *count.
void CountBelow(element q, size_t stop_above, size_t* count);

// `e` is a clause (or an array of clauses) nested in a query: one each, plus what they hold.
void CountNested(element e, size_t stop_above, size_t* count) {
  if (e.is_array()) {
    for (element x : AsArray(e)) {
      if (*count > stop_above) return;
      CountNested(x, stop_above, count);
    }
    return;
  }
  ++*count;
  CountBelow(e, stop_above, count);
}

// The knn query's options (OpenSearch form) or a top-level knn entry: its filter nests clauses.
void CountKnnFilter(element knn_options, size_t stop_above, size_t* count) {
  element filter;
  if (knn_options.is_object() && knn_options.at_key("filter").get(filter) == simdjson::SUCCESS &&
      !filter.is_null()) {
    CountNested(filter, stop_above, count);
  }
}

void CountBelow(element q, size_t stop_above, size_t* count) {
  simdjson::dom::object obj;
  if (q.get_object().get(obj) != simdjson::SUCCESS || obj.size() != 1) return;
  auto kv = *obj.begin();
  if (!kv.value.is_object()) return;
  if (kv.key == "bool") {
    for (auto part : AsObject(kv.value)) {
      if (*count > stop_above) return;
      if (part.key == "must" || part.key == "filter" || part.key == "should" ||
          part.key == "must_not") {
        CountNested(part.value, stop_above, count);
      }
    }
  } else if (kv.key == "constant_score") {
    element filter;
    if (kv.value.at_key("filter").get(filter) == simdjson::SUCCESS) {
      CountNested(filter, stop_above, count);
    }
  } else if (kv.key == "knn" || kv.key == "neural") {
    for (auto field : AsObject(kv.value)) CountKnnFilter(field.value, stop_above, count);
  }
}

}  // namespace

size_t CountQueryClauses(element query, size_t stop_above) {
  size_t count = 0;
  CountBelow(query, stop_above, &count);
  return count;
}

size_t CountKnnSectionClauses(element knn_section, size_t stop_above) {
  size_t count = 0;
  if (knn_section.is_array()) {
    for (element entry : AsArray(knn_section)) {
      if (count > stop_above) break;
      ++count;
      CountKnnFilter(entry, stop_above, &count);
    }
  } else {
    CountKnnFilter(knn_section, stop_above, &count);
  }
  return count;
}

Status TooManyClauses(size_t max_clause_count) {
  return Status::InvalidArgument(
             "too_many_clauses: Query contains too many nested clauses; maxClauseCount is set to " +
             std::to_string(max_clause_count))
      .WithKind(ErrorKind::kSearchRejected);
}

}  // namespace lookalike::es
