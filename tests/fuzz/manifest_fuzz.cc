// Model manifests (src/embed/manifest.cc): ParseModelManifest on arbitrary JSON, as the model
// registry reads every *.json file of the model directory at start-up. Input: the JSON text.
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "lookalike/embedder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // "center" names a file relative to the base dir; point it at a directory with no files so
  // the loader's error path for a missing or short file is what runs.
  static lookalike::fuzz::TempDir dir;
  (void)lookalike::ParseModelManifest(lookalike::fuzz::AsText(data, size), dir.path());
  return 0;
}
