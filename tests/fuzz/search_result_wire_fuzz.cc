// Fuzz target: the decoders of the results shard copies send back (search result, count
// result, stored document, example vector, neural target; docs/formats/search-result.md) and of
// the node report a node sends for cluster-wide _stats / _cat (docs/formats/node-report.md).
// Whatever one accepts must encode back to the same bytes (the formats are canonical).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cluster/node_report.h"
#include "cluster/search_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lookalike;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto r = cluster::DecodeSearchResult(bytes); r.ok()) {
    if (cluster::EncodeSearchResult(*r) != bytes) std::abort();
  }
  if (auto c = cluster::DecodeCountResult(bytes); c.ok()) {
    if (cluster::EncodeCountResult(*c) != bytes) std::abort();
  }
  if (auto d = cluster::DecodeStoredDocument(bytes); d.ok()) {
    if (cluster::EncodeStoredDocument(*d) != bytes) std::abort();
  }
  if (auto v = cluster::DecodeExampleVector(bytes); v.ok()) {
    if (cluster::EncodeExampleVector(*v) != bytes) std::abort();
  }
  if (auto t = cluster::DecodeNeuralTarget(bytes); t.ok()) {
    if (cluster::EncodeNeuralTarget(*t) != bytes) std::abort();
  }
  if (auto n = cluster::DecodeNodeReport(bytes); n.ok()) {
    if (cluster::EncodeNodeReport(*n) != bytes) std::abort();
  }
  return 0;
}
