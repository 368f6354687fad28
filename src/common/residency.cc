#include "common/residency.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>

namespace lookalike {

uint64_t ResidentBytes(const void* addr, size_t length) {
  if (addr == nullptr || length == 0) return 0;
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  // mincore wants a page-aligned start; the pages touching the range are what is resident.
  uintptr_t begin = reinterpret_cast<uintptr_t>(addr) & ~(page - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(addr) + length;
  constexpr size_t kChunkPages = 4096;  // 16 MiB of mapping per call with 4 KiB pages
  std::array<unsigned char, kChunkPages> vec;
  uint64_t resident_pages = 0;
  while (begin < end) {
    size_t pages = std::min<uintptr_t>(kChunkPages, (end - begin + page - 1) / page);
    if (::mincore(reinterpret_cast<void*>(begin), pages * page, vec.data()) != 0) return 0;
    for (size_t i = 0; i < pages; ++i) resident_pages += vec[i] & 1;
    begin += pages * page;
  }
  return std::min<uint64_t>(resident_pages * page, length);
}

}  // namespace lookalike
