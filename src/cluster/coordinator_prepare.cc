// What a coordinator does once per search before scattering it (see scatter.h): knn
// query_vector_builder examples read from their shards, neural nodes embedded on this node.
// The shards then run plain knn queries, exactly what one node would run after its own
// resolution, so the merged answer equals a single node's.
#include <map>
#include <tuple>

#include "cluster/scatter.h"
#include "cluster/search_wire.h"
#include "lookalike/vector_builders.h"

namespace lookalike::cluster {
namespace {

// The neural nodes of one request embedded once each: a node searching several indices must
// find the same vector field, model and dimension in all of them.
struct NeuralWork {
  std::vector<std::string> indices;  // the concrete target indices
  std::map<std::tuple<const NeuralNode*, std::string, int>, std::vector<float>> vectors;
  double took_ms = 0;
  std::string model;
  bool any = false;
};

Status NoModels() {
  return Status::InvalidArgument(
             "no image models are loaded (start the server with --models DIR "
             "after `lookalike convert-model`)")
      .WithKind(ErrorKind::kInvalidValue);
}

// A copy's request error as one node holding `index` words it: without the "[node][address]"
// context the scatter adds, and with the user's index name in place of the copy's
// ("[index~shard~uuid]"). Failures (no answering copy) keep their detail.
Status AsUserError(const Status& s, std::string_view index) {
  if (s.ok() || s.code() == StatusCode::kUnavailable) return s;
  std::string message = s.message();
  if (!message.empty() && message[0] == '[') {
    if (size_t colon = message.find("]: "); colon != std::string::npos) {
      message.erase(0, colon + 3);
    }
  }
  const std::string copy = "[" + std::string(index) + "~";
  for (size_t at = message.find(copy); at != std::string::npos; at = message.find(copy, at)) {
    size_t end = message.find(']', at);
    if (end == std::string::npos) break;
    message.replace(at, end - at + 1, "[" + std::string(index) + "]");
    at += index.size() + 2;
  }
  return Status(s.code(), message).WithKind(s.kind());
}

}  // namespace

Result<ExampleVector> Coordinator::ReadExampleVector(const std::string& index,
                                                     const std::string& id, const std::string& path,
                                                     const std::string* routing,
                                                     const ScatterCall& call) {
  ShardVectorRequest request{id, path};
  std::string_view key = routing != nullptr ? std::string_view(*routing) : std::string_view(id);
  LOOKALIKE_ASSIGN_OR_RETURN(
      std::string body, AskRoutedShard(index, &key, "_vector", EncodeVectorRequest(request), call,
                                       "[query_vector_builder]"));
  return DecodeExampleVector(body);
}

Result<EmbedSpec> Coordinator::NeuralTarget(std::string_view index, const NeuralNode& node,
                                            const ScatterCall& call) {
  NeuralTargetRequest request{node.field, node.model};
  Result<std::string> body = AskRoutedShard(index, nullptr, "_neural_target",
                                            EncodeNeuralTargetRequest(request), call, "[neural]");
  if (!body.ok()) return AsUserError(body.status(), index);
  return DecodeNeuralTarget(*body);
}

namespace {

// Walks a query tree, making every neural node a knn node with `embed`'s vector.
template <typename Embed>
Result<QueryNode> ReplaceNeural(const QueryNode& node, const Embed& embed) {
  if (!node.HasNeural()) return node;
  QueryNode out;
  if (const auto* neural = std::get_if<NeuralNode>(&node.node)) {
    LOOKALIKE_ASSIGN_OR_RETURN(KnnNode knn, embed(*neural));
    out.node = std::move(knn);
    return out;
  }
  if (const auto* cs = std::get_if<ConstantScoreNode>(&node.node)) {
    ConstantScoreNode copy = *cs;
    LOOKALIKE_ASSIGN_OR_RETURN(QueryNode inner, ReplaceNeural(*cs->filter, embed));
    copy.filter = std::make_shared<const QueryNode>(std::move(inner));
    out.node = std::move(copy);
    return out;
  }
  BoolNode copy = std::get<BoolNode>(node.node);  // the only other node with children
  for (auto* list : {&copy.must, &copy.filter, &copy.should, &copy.must_not}) {
    for (QueryNode& child : *list) {
      LOOKALIKE_ASSIGN_OR_RETURN(child, ReplaceNeural(child, embed));
    }
  }
  out.node = std::move(copy);
  return out;
}

}  // namespace

Result<std::optional<QueryNode>> Coordinator::EmbedNeural(
    std::string_view expression, const std::optional<QueryNode>& query, const ScatterCall& call,
    std::optional<SearchResult::Embedding>* embedding) {
  if (!query || !query->HasNeural()) return query;
  if (options_.embedder == nullptr) return NoModels();
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<IndexRoutes> routes, source_->Resolve(expression));
  NeuralWork work;
  for (const IndexRoutes& r : routes) work.indices.push_back(r.index);
  auto embed = [&](const NeuralNode& neural) -> Result<KnnNode> {
    std::optional<EmbedSpec> spec;
    for (const std::string& index : work.indices) {
      LOOKALIKE_ASSIGN_OR_RETURN(EmbedSpec found, NeuralTarget(index, neural, call));
      if (spec && (spec->vector_field != found.vector_field || spec->model != found.model ||
                   spec->dims != found.dims)) {
        return Status::InvalidArgument(
                   "a neural query over indices with different vector fields or models is not "
                   "supported in cluster mode; search the indices one at a time")
            .WithKind(ErrorKind::kInvalidValue);
      }
      spec = std::move(found);
    }
    if (!spec)
      return Status::InvalidArgument("no index to search").WithKind(ErrorKind::kInvalidValue);
    auto key = std::make_tuple(&neural, spec->model, spec->dims);
    auto it = work.vectors.find(key);
    if (it == work.vectors.end()) {
      EmbedInput input;
      if (!neural.text.empty()) {
        input.kind = EmbedInput::Kind::kText;
        input.text = neural.text;
      } else {
        input.bytes = neural.image;
      }
      LOOKALIKE_ASSIGN_OR_RETURN(QueryEmbedding q, options_.embedder->EmbedQuery(*spec, input));
      work.took_ms += q.took_ms;
      work.model = q.model;
      work.any = true;
      it = work.vectors.emplace(key, std::move(q.vector)).first;
    }
    KnnNode knn;
    knn.field = spec->vector_field;
    knn.vector = it->second;
    knn.k = neural.k;
    knn.boost = neural.boost;
    knn.filter = neural.filter;
    return knn;
  };
  LOOKALIKE_ASSIGN_OR_RETURN(QueryNode embedded, ReplaceNeural(*query, embed));
  if (embedding != nullptr && work.any) {
    // Query and post_filter add up. (Aggregate init: clang refuses emplace() of a nested
    // struct with member initialisers here.)
    const double before = *embedding ? (*embedding)->took_ms : 0;
    *embedding = SearchResult::Embedding{before + work.took_ms, work.model};
  }
  return std::optional<QueryNode>(std::move(embedded));
}

Result<SearchRequest> Coordinator::Prepare(std::string_view expression,
                                           const SearchRequest& request, const ScatterCall& call,
                                           std::optional<SearchResult::Embedding>* embedding) {
  SearchRequest out = request;
  if (HasVectorBuilders(request)) {
    auto read = [this, &call](const std::string& index, const std::string& id,
                              const std::string& path, const std::string* routing) {
      return ReadExampleVector(index, id, path, routing, call);
    };
    LOOKALIKE_ASSIGN_OR_RETURN(std::optional<SearchRequest> resolved,
                               ResolveVectorBuilders(request, read));
    if (resolved) out = std::move(*resolved);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(out.query, EmbedNeural(expression, out.query, call, embedding));
  LOOKALIKE_ASSIGN_OR_RETURN(out.post_filter,
                             EmbedNeural(expression, out.post_filter, call, embedding));
  return out;
}

}  // namespace lookalike::cluster
