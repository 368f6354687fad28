// The Elasticsearch/OpenSearch codec for _bulk: the NDJSON body parsed once into typed
// WriteOps (lookalike/write_ops.h), and the engine's WriteOutcomes rendered as the response
//   {"took":MS,"errors":BOOL,"items":[{ACTION:{"_index","_id",...,"status":N[,"error":{...}]}}]}
// Per-item HTTP statuses and error types come from the one error table (error_mapping.h).
//
// The parser is the only NDJSON splitter of the server: POST _bulk (with its per-item
// authorisation and image embedding, server/handlers/bulk.cc) and the CLI's local target both
// go through it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/engine.h"
#include "lookalike/write_ops.h"

namespace lookalike::es {

/// One item of a _bulk request.
struct BulkItem {
  std::string action;  // the action key as written: "index", "create", "update" or "delete"
  WriteOp op;          // op.index: the action's _index, else the URL's index
  /// Non-OK: the item failed before reaching the engine (a malformed update line, or an image
  /// that could not be embedded); it is answered with this error and not written.
  Status error;
};

/// Splits and parses an NDJSON _bulk body. The whole request fails (illegal_argument_exception
/// or action_request_validation_exception, Elasticsearch's texts) when the framing is broken:
/// an action line that is not a single-key JSON object naming index/create/update/delete, a
/// bad _id / if_seq_no / if_primary_term, a missing index or id, a missing source line, a body
/// not terminated by a newline, or no items at all. A malformed update line fails its item.
/// Source lines of index/create are not parsed here: the engine parses them once.
Result<std::vector<BulkItem>> ParseBulk(std::string_view default_index, std::string_view ndjson);

/// Writes the items without an error with one Engine::Write call (their ops are moved out) and
/// returns one outcome per item, in order; failed items get their error. Fails only when the
/// engine is unavailable.
Result<std::vector<WriteOutcome>> WriteBulk(Engine& engine, std::vector<BulkItem>& items,
                                            RefreshPolicy refresh);

/// The _bulk response body for `items` and their `outcomes` (same length).
std::string RenderBulkResponse(const std::vector<BulkItem>& items,
                               const std::vector<WriteOutcome>& outcomes, int64_t took_ms);

/// ParseBulk + WriteBulk + RenderBulkResponse: the complete answer to POST /_bulk. `prepare`
/// (optional) sees the parsed items before they are written and may fail some of them by
/// setting their error (the server's per-item authorisation and image embedding).
Result<std::string> Bulk(Engine& engine, std::string_view default_index,
                         std::string_view ndjson, RefreshPolicy refresh,
                         const std::function<void(std::vector<BulkItem>*)>& prepare = {});

}  // namespace lookalike::es
