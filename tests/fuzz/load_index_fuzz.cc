// LoadIndex (src/index/load_index.cc): the magic-sniffing dispatcher in front of both loaders,
// as the engine calls it at start-up. Input: one mode byte (bit 0: mmap) + the file.
#include "index_load_util.h"
#include "lookalike/vector_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lookalike::fuzz::FuzzIndexFile(data, size, [](const std::string& path,
                                                const lookalike::LoadOptions& options) {
    return lookalike::LoadIndex(path, options);
  });
  return 0;
}
