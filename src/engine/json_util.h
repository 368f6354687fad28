// simdjson helpers shared by the engine: parsing with Elasticsearch error types, re-serialising
// DOM elements through JsonWriter, and typed field access.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "common/json_writer.h"
#include "lookalike/status.h"

namespace lookalike::engine {

using simdjson::dom::element;

/// Parses `text` with `parser`; the element lives until the parser's next parse.
/// parsing_exception (kInvalidArgument) on malformed JSON.
Result<element> ParseJson(simdjson::dom::parser& parser, std::string_view text);

/// The object/array view of an element already known to be one (empty view otherwise).
inline simdjson::dom::object AsObject(element e) {
  simdjson::dom::object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return {};
  return o;
}
inline simdjson::dom::array AsArray(element e) {
  simdjson::dom::array a;
  if (e.get_array().get(a) != simdjson::SUCCESS) return {};
  return a;
}

/// Writes `e` (any JSON value) through `w`.
void WriteElement(JsonWriter& w, element e);
/// Compact JSON text of `e`.
std::string ElementToJson(element e);

/// Numeric value of a number, or of a string holding a number (Elasticsearch coercion).
bool ElementToDouble(element e, double* out);
/// Text of a scalar (string as is, numbers and booleans as JSON text); false for containers.
bool ElementToText(element e, std::string* out);

/// Status helpers that attach the Elasticsearch exception name.
inline Status ParsingError(std::string_view msg) {
  return Status::InvalidArgument(msg).WithType("parsing_exception");
}
inline Status MapperParsingError(std::string_view msg) {
  return Status::InvalidArgument(msg).WithType("mapper_parsing_exception");
}
inline Status IllegalArgument(std::string_view msg) {
  return Status::InvalidArgument(msg).WithType("illegal_argument_exception");
}
inline Status IndexNotFound(std::string_view index) {
  return Status::NotFound("no such index [" + std::string(index) + "]")
      .WithType("index_not_found_exception");
}

/// Milliseconds since the epoch for "2024-01-31", "2024-01-31T10:00:00[.123][Z|+01:00]" or an
/// integer (epoch_millis). False when the text is not a date.
bool ParseDateMillis(std::string_view text, int64_t* out);

}  // namespace lookalike::engine
