// Coding of the small messages a coordinator exchanges with a shard copy before it scatters a
// search: example vectors for knn query_vector_builder, and the target of a neural query. Layout
// in docs/formats/search-request.md and search-result.md.
#include "cluster/search_wire.h"
#include "cluster/wire_coding.h"

namespace lookalike::cluster {
namespace {

Status Damaged(std::string_view what) {
  return Status::Corruption(std::string(what) +
                            " is damaged (truncated, trailing bytes or a bad "
                            "state)");
}

}  // namespace

std::string EncodeVectorRequest(const ShardVectorRequest& request) {
  std::string payload;
  WireWriter w(&payload);
  w.String(request.id);
  w.String(request.path);
  return FrameWireMessage(kVectorRequestMagic, payload);
}

Result<ShardVectorRequest> DecodeVectorRequest(std::string_view bytes) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string_view payload,
                             UnframeWireMessage(kVectorRequestMagic, bytes, "vector request"));
  WireReader r(payload);
  ShardVectorRequest request;
  if (!r.String(&request.id) || !r.String(&request.path) || !r.done()) {
    return Damaged("vector request");
  }
  return request;
}

std::string EncodeExampleVector(const ExampleVector& vector) {
  std::string payload;
  WireWriter w(&payload);
  w.Put<uint8_t>(static_cast<uint8_t>(vector.state));
  w.Put<uint8_t>(static_cast<uint8_t>(vector.metric));
  w.Floats(vector.values);
  return FrameWireMessage(kExampleVectorMagic, payload);
}

Result<ExampleVector> DecodeExampleVector(std::string_view bytes) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string_view payload,
                             UnframeWireMessage(kExampleVectorMagic, bytes, "example vector"));
  WireReader r(payload);
  ExampleVector vector;
  uint8_t state = 0, metric = 0;
  // Only a found vector has values: anything else would not encode back to the same bytes.
  if (!r.Get(&state) || state > static_cast<uint8_t>(ExampleVector::State::kNoVector) ||
      !r.Get(&metric) || metric > static_cast<uint8_t>(Metric::kCosine) ||
      !r.Floats(&vector.values) || !r.done() ||
      (state != static_cast<uint8_t>(ExampleVector::State::kFound) && !vector.values.empty())) {
    return Damaged("example vector");
  }
  vector.state = static_cast<ExampleVector::State>(state);
  vector.metric = static_cast<Metric>(metric);
  return vector;
}

std::string EncodeNeuralTargetRequest(const NeuralTargetRequest& request) {
  std::string payload;
  WireWriter w(&payload);
  w.String(request.field);
  w.String(request.model);
  return FrameWireMessage(kNeuralTargetRequestMagic, payload);
}

Result<NeuralTargetRequest> DecodeNeuralTargetRequest(std::string_view bytes) {
  LOOKALIKE_ASSIGN_OR_RETURN(
      std::string_view payload,
      UnframeWireMessage(kNeuralTargetRequestMagic, bytes, "neural target request"));
  WireReader r(payload);
  NeuralTargetRequest request;
  if (!r.String(&request.field) || !r.String(&request.model) || !r.done()) {
    return Damaged("neural target request");
  }
  return request;
}

std::string EncodeNeuralTarget(const EmbedSpec& spec) {
  std::string payload;
  WireWriter w(&payload);
  w.String(spec.vector_field);
  w.String(spec.model);
  w.Put<int32_t>(spec.dims);
  return FrameWireMessage(kNeuralTargetMagic, payload);
}

Result<EmbedSpec> DecodeNeuralTarget(std::string_view bytes) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string_view payload,
                             UnframeWireMessage(kNeuralTargetMagic, bytes, "neural target"));
  WireReader r(payload);
  EmbedSpec spec;
  int32_t dims = 0;
  if (!r.String(&spec.vector_field) || !r.String(&spec.model) || !r.Get(&dims) || !r.done()) {
    return Damaged("neural target");
  }
  spec.dims = dims;
  return spec;
}

}  // namespace lookalike::cluster
