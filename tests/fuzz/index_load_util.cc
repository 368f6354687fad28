#include "index_load_util.h"

#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "fuzz_util.h"

namespace lookalike::fuzz {

namespace {

// Bigger indices are legal but make each input slow without covering more of the loader.
constexpr size_t kMaxDimToSearch = 4096;

void Exercise(VectorIndex& index) {
  IndexStats stats = index.Stats();
  (void)stats;
  size_t dim = index.dim();
  if (dim == 0 || dim > kMaxDimToSearch) return;
  std::vector<float> query(dim);
  for (size_t i = 0; i < dim; ++i) query[i] = static_cast<float>((i % 3) + 1) * 0.25f;
  std::vector<SearchHit> hits;
  for (size_t k : {size_t{1}, size_t{10}}) {
    SearchParams params;
    params.k = k;
    (void)index.Search(query.data(), params, &hits);
    for (const SearchHit& hit : hits) (void)index.Contains(hit.label);
  }
  // Mutations on a loaded index touch the free lists, tombstones and level structures.
  constexpr uint64_t kNewLabel = 0xF0F0F0F0ull;
  if (index.Add(kNewLabel, query.data()).ok()) {
    SearchParams params;
    params.k = 3;
    (void)index.Search(query.data(), params, &hits);
    (void)index.Remove(kNewLabel);
  }
  if (!hits.empty()) (void)index.Remove(hits.front().label);
  SearchParams params;
  params.k = 2;
  (void)index.Search(query.data(), params, &hits);
}

}  // namespace

void FuzzIndexFile(const uint8_t* data, size_t size, const IndexLoader& load) {
  if (size < 1) return;
  static TempDir dir;
  const std::string path = dir.path() + "/index.bin";
  LoadOptions options;
  options.mmap_vectors = (data[0] & 1) != 0;
  WriteFileOrDie(path, AsText(data + 1, size - 1));
  auto loaded = load(path, options);
  if (loaded.ok()) Exercise(*loaded.value());
  ::unlink(path.c_str());
}

}  // namespace lookalike::fuzz
