// The HNSW snapshot loader (src/index/hnsw/hnsw_io.cc), then searches and writes on what it
// accepted. Input: one mode byte (bit 0: mmap the vectors) + the file.
#include "index/hnsw/hnsw_index.h"
#include "index_load_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lookalike::fuzz::FuzzIndexFile(data, size, &lookalike::hnsw::HnswIndex::Load);
  return 0;
}
