// CRC-32C (Castagnoli), the checksum of every Lookalike file format record.
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once), else a table.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lookalike {

/// CRC-32C of [data, data+n), continuing from `crc` (0 to start). Extend(Extend(0,a),b) equals
/// the CRC of a followed by b.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);
inline uint32_t Crc32c(const void* data, size_t n) { return Crc32cExtend(0, data, n); }

}  // namespace lookalike
