// The flat-index snapshot loader (src/index/flat/flat_format.cc), then searches and writes on
// what it accepted. Input: one mode byte (bit 0: mmap the vectors) + the file.
#include "index/flat/flat_index.h"
#include "index_load_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lookalike::fuzz::FuzzIndexFile(data, size, &lookalike::LoadFlatIndex);
  return 0;
}
