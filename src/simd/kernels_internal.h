// Internal to src/simd: the per-ISA tables and the scalar helpers the SIMD TUs reuse.
//
// The AVX2 / AVX-512 translation units are compiled with ISA flags, so they must not define any
// inline function or template that another TU could also instantiate (the linker might keep
// the AVX-512 copy). Everything there lives in an anonymous namespace; only the table accessors
// below have external linkage.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd/distance.h"

namespace lookalike::simd::internal {

const KernelTable& ScalarTable();
const KernelTable& Avx2Table();
const KernelTable& Avx512Table();

// IEEE binary16 <-> binary32 with round-to-nearest-even, matching vcvtps2ph/vcvtph2ps.
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);

}  // namespace lookalike::simd::internal
