// Index-time embedding, the pure parts: which vector fields a mapping asks to fill from an image
// field ("source_field"), reading {"path": …} / {"base64": …} image references out of
// documents, adding the computed vector to a document, and taking a _bulk body apart and putting
// the answer back together when some items fail before reaching the engine.
//
// Mapping:  "embedding": {"type": "knn_vector", "dimension": 384,
//                         "model": "mobilenet_v2_b10", "source_field": "image"}
// Document: {"image": {"path": "/photos/cat.jpg"}, ...}  or  {"image": {"base64": "iVBOR…"}}
// A document that already carries the vector field is left alone.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"

namespace lookalike::server {

struct EmbedSpec {
  std::string vector_field;
  std::string source_field;
  std::string model;  // "" = the registry's default
  int dims = 0;       // 0 when the mapping does not say
};

/// The top-level vector fields of a GET /{index}/_mapping body that name a "source_field".
std::vector<EmbedSpec> FindEmbedSpecs(std::string_view mapping_json, std::string_view index);
/// The same for a request body: {"mappings":{"properties":…}} (create index, `is_create`) or
/// {"properties":…} (put mapping). Empty when the body does not parse.
std::vector<EmbedSpec> FindEmbedSpecsInRequest(std::string_view body, bool is_create);

/// An image reference found in a document.
struct ImageRef {
  std::string path;            // {"path": …}; empty for base64
  std::vector<uint8_t> bytes;  // {"base64": …}, decoded
};

/// nullopt when `doc_json` has no `spec.source_field` or already has `spec.vector_field`.
/// InvalidArgument (mapper_parsing_exception) when the source field is not an object with a
/// string "path" or a valid "base64", or the document is not a JSON object.
Result<std::optional<ImageRef>> FindImageRef(std::string_view doc_json, const EmbedSpec& spec);

/// The body of an update (`{"doc": {...}, "upsert": {...}, ...}`) with its "doc" and "upsert"
/// objects passed through `embed` (which returns the rewritten object, or nullopt to keep it).
/// nullopt when nothing changed or the body is not a JSON object (the engine then reports it).
Result<std::optional<std::string>> RewriteUpdateDocs(
    std::string_view update_body,
    const std::function<Result<std::optional<std::string>>(std::string_view)>& embed);

/// `object_json` with "field":[v…] added as its last member.
std::string AppendVectorField(std::string_view object_json, std::string_view field,
                              std::span<const float> vector);

/// One item of a _bulk body.
struct BulkItem {
  std::string_view action_line;
  std::string_view source_line;  // empty for delete
  std::string op;                // index, create, update, delete
  std::string index;             // from the action, else the URL's index
  std::string id;                // "" when the action has none
};

/// Splits an NDJSON _bulk body. nullopt when the framing is not understood (the caller then
/// hands the body to the engine untouched, which reports the problem its usual way).
std::optional<std::vector<BulkItem>> SplitBulk(std::string_view ndjson,
                                               std::string_view default_index);

/// An item answered here without reaching the engine.
struct FailedBulkItem {
  size_t position = 0;  // index among all items of the request
  std::string op, index, id;
  int http_status = 400;
  std::string type, reason;
};

/// The engine's _bulk response for the items it received, with `failed` spliced in at their
/// positions and "errors" set. `engine_body` may be empty when every item failed here.
Result<std::string> MergeBulkResponse(std::string_view engine_body,
                                      const std::vector<FailedBulkItem>& failed);

}  // namespace lookalike::server
