// The snapshot repository's documents (src/snapshot/manifest.h) and record chunks
// (record_chunks.h): whatever parses must encode and parse again to the same thing, and
// nothing may crash on a hostile file from a shared file system.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "snapshot/manifest.h"
#include "snapshot/record_chunks.h"

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lookalike::snapshot;
  std::string_view input = lookalike::fuzz::AsText(data, size);
  if (auto manifest = ParseManifest(input); manifest.ok()) {
    std::string encoded = EncodeManifest(*manifest);
    auto again = ParseManifest(encoded);
    if (!again.ok() || EncodeManifest(*again) != encoded) Fail("manifest does not round-trip");
  }
  if (auto index = ParseRepositoryIndex(input); index.ok()) {
    std::string encoded = EncodeRepositoryIndex(*index);
    auto again = ParseRepositoryIndex(encoded);
    if (!again.ok() || EncodeRepositoryIndex(*again) != encoded) {
      Fail("repository index does not round-trip");
    }
  }
  size_t records = 0;
  (void)ForEachChunkRecord(input, [&](std::string_view, std::string_view) {
    ++records;
    return lookalike::Status::OK();
  });
  return 0;
}
