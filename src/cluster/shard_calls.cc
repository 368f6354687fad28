// A shard copy's side of the coordinator's calls; see shard_calls.h.
#include "cluster/shard_calls.h"

#include "cluster/search_wire.h"

namespace lookalike::cluster {
namespace {

template <typename T>
Result<T> Malformed(Result<T> decoded) {
  if (decoded.ok() || decoded.status().code() != StatusCode::kCorruption) return decoded;
  return Status::InvalidArgument(decoded.status().message()).WithKind(ErrorKind::kMalformedInput);
}

}  // namespace

const std::vector<std::string_view>& ShardEndpoints() {
  static const std::vector<std::string_view> kEndpoints = {"_search", "_count", "_get", "_vector",
                                                           "_neural_target"};
  return kEndpoints;
}

Result<std::string> AnswerShardCall(Engine& engine, std::string_view local_index,
                                    std::string_view endpoint, std::string_view body) {
  if (endpoint == "_search") {
    LOOKALIKE_ASSIGN_OR_RETURN(SearchRequest request, Malformed(DecodeSearchRequest(body)));
    SearchOptions options;
    options.as_shard = true;
    LOOKALIKE_ASSIGN_OR_RETURN(SearchResult result, engine.Search(local_index, request, options));
    return EncodeSearchResult(result);
  }
  if (endpoint == "_count") {
    LOOKALIKE_ASSIGN_OR_RETURN(CountRequest request, Malformed(DecodeCountRequest(body)));
    LOOKALIKE_ASSIGN_OR_RETURN(CountResult result, engine.Count(local_index, request));
    return EncodeCountResult(result);
  }
  if (endpoint == "_get") {
    LOOKALIKE_ASSIGN_OR_RETURN(ShardGetRequest request, Malformed(DecodeGetRequest(body)));
    LOOKALIKE_ASSIGN_OR_RETURN(StoredDocument document,
                               engine.GetDocument(local_index, request.id, request.source));
    return EncodeStoredDocument(document);
  }
  if (endpoint == "_vector") {
    LOOKALIKE_ASSIGN_OR_RETURN(ShardVectorRequest request, Malformed(DecodeVectorRequest(body)));
    LOOKALIKE_ASSIGN_OR_RETURN(ExampleVector vector,
                               engine.ReadExampleVector(local_index, request.id, request.path));
    return EncodeExampleVector(vector);
  }
  if (endpoint == "_neural_target") {
    LOOKALIKE_ASSIGN_OR_RETURN(NeuralTargetRequest request,
                               Malformed(DecodeNeuralTargetRequest(body)));
    NeuralNode node;
    node.field = request.field;
    node.model = request.model;
    LOOKALIKE_ASSIGN_OR_RETURN(EmbedSpec spec, engine.NeuralTarget(local_index, node));
    return EncodeNeuralTarget(spec);
  }
  return Status::InvalidArgument("unknown shard endpoint [" + std::string(endpoint) + "]")
      .WithKind(ErrorKind::kInvalidValue);
}

}  // namespace lookalike::cluster
