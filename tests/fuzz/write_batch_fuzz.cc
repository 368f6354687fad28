// Fuzz target: the cluster write batch decoder (docs/formats/write-batch.md). Whatever it
// accepts in the current version must encode back to the same bytes (the format is canonical)
// and decode again; an accepted version-1 batch must re-encode (as the current version) to a
// batch that decodes to the same term and encodes to the same bytes again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cluster/write_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lookalike::cluster::DecodeWriteBatch;
  using lookalike::cluster::EncodeWriteBatch;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto batch = DecodeWriteBatch(bytes);
  if (!batch.ok()) return 0;
  std::string again = EncodeWriteBatch(batch->ops, batch->primary_term);
  if (batch->version == lookalike::cluster::kWriteBatchVersion && again != bytes) std::abort();
  auto decoded = DecodeWriteBatch(again);
  if (!decoded.ok() || decoded->primary_term != batch->primary_term ||
      decoded->ops.size() != batch->ops.size()) {
    std::abort();
  }
  if (EncodeWriteBatch(decoded->ops, decoded->primary_term) != again) std::abort();
  return 0;
}
