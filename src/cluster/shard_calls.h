// What a shard copy answers to a coordinator's call, in one place for both ways a call arrives:
// over HTTP (POST /_internal/shards/{copy}/{endpoint}, server/handlers/shard_internal.cc) and
// in-process when the coordinator holds the copy itself (cluster/scatter.h).
//
//   _search          SearchRequest      → partial SearchResult (SearchOptions::as_shard)
//   _count           CountRequest       → CountResult
//   _get             ShardGetRequest    → StoredDocument
//   _vector          ShardVectorRequest → ExampleVector (a knn query_vector_builder example)
//   _neural_target   NeuralTargetRequest → EmbedSpec (what a neural query searches)
//
// Bodies are the binary formats of docs/formats/search-request.md and search-result.md.
//
// Thread safety: as the engine's methods (callable concurrently).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lookalike/engine.h"
#include "lookalike/status.h"

namespace lookalike::cluster {

/// The shard endpoints, for registering routes.
const std::vector<std::string_view>& ShardEndpoints();

/// Runs the call `body` makes on `endpoint` against the local engine index `local_index` and
/// encodes its answer. A body that does not decode is InvalidArgument (malformed input: the same
/// bytes would fail on every copy, so the coordinator must not try another one); an unknown
/// endpoint is InvalidArgument; the engine's errors are returned as they are.
Result<std::string> AnswerShardCall(Engine& engine, std::string_view local_index,
                                    std::string_view endpoint, std::string_view body);

}  // namespace lookalike::cluster
