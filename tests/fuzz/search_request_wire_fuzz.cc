// Fuzz target: the decoders of the requests a coordinator sends to shard copies (search, count,
// get, example vector, neural target; docs/formats/search-request.md). Whatever one accepts must
// encode back to the same bytes (the formats are canonical).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cluster/search_wire.h"

namespace {

using namespace lookalike;

std::string Bytes(Result<std::string> r) {
  if (!r.ok()) std::abort();  // a decoded request never holds what the encoder refuses
  return *r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto q = cluster::DecodeSearchRequest(bytes); q.ok()) {
    if (Bytes(cluster::EncodeSearchRequest(*q)) != bytes) std::abort();
  }
  if (auto c = cluster::DecodeCountRequest(bytes); c.ok()) {
    if (Bytes(cluster::EncodeCountRequest(*c)) != bytes) std::abort();
  }
  if (auto g = cluster::DecodeGetRequest(bytes); g.ok()) {
    if (cluster::EncodeGetRequest(*g) != bytes) std::abort();
  }
  if (auto v = cluster::DecodeVectorRequest(bytes); v.ok()) {
    if (cluster::EncodeVectorRequest(*v) != bytes) std::abort();
  }
  if (auto n = cluster::DecodeNeuralTargetRequest(bytes); n.ok()) {
    if (cluster::EncodeNeuralTargetRequest(*n) != bytes) std::abort();
  }
  return 0;
}
