// Fuzz target: the cluster write batch decoder (docs/formats/write-batch.md). Whatever it
// accepts must encode back to the same bytes (the format is canonical) and decode again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cluster/write_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto ops = lookalike::cluster::DecodeWriteBatch(bytes);
  if (!ops.ok()) return 0;
  std::string again = lookalike::cluster::EncodeWriteBatch(*ops);
  if (again != bytes) std::abort();
  if (!lookalike::cluster::DecodeWriteBatch(again).ok()) std::abort();
  return 0;
}
