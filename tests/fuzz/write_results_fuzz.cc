// Fuzz target: the per-item write results a shard copy answers a coordinator
// (cluster/write_results.h, docs/formats/write-results.md). Whatever decodes must encode back
// to the same bytes (the format is canonical).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cluster/write_results.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto outcomes = lookalike::cluster::DecodeWriteResults(bytes);
  if (!outcomes.ok()) return 0;
  if (lookalike::cluster::EncodeWriteResults(*outcomes) != bytes) std::abort();
  return 0;
}
