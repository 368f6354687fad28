#include "index_load_util.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/crc32c.h"
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

template <typename T>
T GetAt(const std::string& b, size_t at) {
  T v;
  std::memcpy(&v, b.data() + at, sizeof(T));
  return v;
}
void PutCrc(std::string* b, size_t at, uint32_t crc) { std::memcpy(b->data() + at, &crc, 4); }
bool Within(const std::string& b, uint64_t offset, uint64_t length) {
  return offset <= b.size() && length <= b.size() - offset;
}

// docs/formats/hnsw-index.md: a 320-byte header whose last 4 bytes are its CRC-32C, with a
// table of 8 sections at byte 96 (offset u64, length u64, crc u32, 4 bytes padding each).
void RepairHnswChecksums(std::string* b) {
  constexpr size_t kHeader = 320, kTable = 96, kSections = 8;
  if (b->size() < kHeader || b->compare(0, 8, "LKALHNSW") != 0) return;
  for (size_t s = 0; s < kSections; ++s) {
    size_t at = kTable + s * 24;
    uint64_t offset = GetAt<uint64_t>(*b, at), length = GetAt<uint64_t>(*b, at + 8);
    if (Within(*b, offset, length)) PutCrc(b, at + 16, Crc32c(b->data() + offset, length));
  }
  PutCrc(b, kHeader - 4, Crc32c(b->data(), kHeader - 4));
}

// docs/formats/flat-index.md: a 64-byte header (CRC at byte 60), then 3 sections, each a
// 64-byte header (payload length u64 at 8, payload CRC at 16, header CRC at 60) and the payload
// padded to 64 bytes.
void RepairFlatChecksums(std::string* b) {
  constexpr size_t kHeader = 64, kSections = 3;
  if (b->size() < kHeader || b->compare(0, 8, "LOOKFLAT") != 0) return;
  uint64_t off = kHeader;
  for (size_t s = 0; s < kSections && Within(*b, off, kHeader); ++s) {
    uint64_t length = GetAt<uint64_t>(*b, off + 8);
    if (Within(*b, off + kHeader, length)) {
      PutCrc(b, off + 16, Crc32c(b->data() + off + kHeader, length));
    }
    PutCrc(b, off + 60, Crc32c(b->data() + off, 60));
    if (length > b->size()) break;
    off += kHeader + (length + 63) / 64 * 64;
  }
  PutCrc(b, 60, Crc32c(b->data(), 60));
}

}  // namespace

void FuzzIndexFile(const uint8_t* data, size_t size, const IndexLoader& load) {
  if (size < 1) return;
  static TempDir dir;
  const std::string path = dir.path() + "/index.bin";
  LoadOptions options;
  options.mmap_vectors = (data[0] & 1) != 0;
  std::string file(AsText(data + 1, size - 1));
  if ((data[0] & 2) == 0) {
    RepairHnswChecksums(&file);
    RepairFlatChecksums(&file);
  }
  WriteFileOrDie(path, file);
  auto loaded = load(path, options);
  if (loaded.ok()) Exercise(*loaded.value());
  ::unlink(path.c_str());
}

}  // namespace lookalike::fuzz
