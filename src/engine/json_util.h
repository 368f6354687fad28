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

/// Deepest nesting of objects and arrays accepted in a request body (documents, mappings,
/// settings, queries). Far below simdjson's own limit (1024) on purpose: the stored form of
/// what a request creates nests deeper than the request itself (a mapping nests twice per
/// object level: {"a":{"properties":{"b":...}}}), and whatever was accepted must parse again
/// when the node restarts.
inline constexpr size_t kMaxRequestJsonDepth = 100;
/// Nesting depth allowed when reading back stored JSON (index metadata, document sources).
/// Larger than anything kMaxRequestJsonDepth lets in, and larger than simdjson's default, so
/// data written by older versions without the request limit still loads.
inline constexpr size_t kMaxStoredJsonDepth = 4096;

/// Parses request input `text` with `parser`; the element lives until the parser's next parse.
/// kMalformedRequest (kInvalidArgument) on malformed JSON or nesting deeper than
/// kMaxRequestJsonDepth.
Result<element> ParseJson(simdjson::dom::parser& parser, std::string_view text);

/// Parses JSON this node stored itself (never subject to request limits, see
/// kMaxStoredJsonDepth). Corruption when it does not parse.
Result<element> ParseStoredJson(simdjson::dom::parser& parser, std::string_view text);

/// Nesting depth of objects/arrays in JSON text (0 for a scalar); stops counting once the
/// depth exceeds `stop_above`. Malformed text gives a best-effort answer.
size_t JsonNestingDepth(std::string_view text, size_t stop_above);

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

/// Status helpers that attach the ErrorKind the server renders.
inline Status ParsingError(std::string_view msg) {
  return Status::InvalidArgument(msg).WithKind(ErrorKind::kMalformedRequest);
}
inline Status MapperParsingError(std::string_view msg) {
  return Status::InvalidArgument(msg).WithKind(ErrorKind::kMappingParse);
}
inline Status IllegalArgument(std::string_view msg) {
  return Status::InvalidArgument(msg).WithKind(ErrorKind::kInvalidValue);
}
inline Status IndexNotFound(std::string_view index) {
  return Status::NotFound("no such index [" + std::string(index) + "]")
      .WithKind(ErrorKind::kIndexNotFound);
}

/// Milliseconds since the epoch for "2024-01-31", "2024-01-31T10:00:00[.123][Z|+01:00]" or an
/// integer (epoch_millis). False when the text is not a date.
bool ParseDateMillis(std::string_view text, int64_t* out);

}  // namespace lookalike::engine
