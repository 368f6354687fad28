// How much of a memory mapping is in RAM: the page-cache residency the metrics report for the
// vector files the indices map.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lookalike {

/// Bytes of [addr, addr + length) whose pages are resident (mincore). Costs one byte of scratch
/// per page, processed in fixed chunks (no allocation proportional to the mapping) and no I/O.
/// 0 when the range is empty or the kernel refuses.
uint64_t ResidentBytes(const void* addr, size_t length);

}  // namespace lookalike
