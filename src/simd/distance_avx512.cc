// AVX-512 (F/BW/VL/DQ + VNNI + VPOPCNTDQ) kernels. Compiled with LOOKALIKE_AVX512_FLAGS only; see
// kernels_internal.h for why everything here stays in an anonymous namespace.
//
// Main loops keep four or more independent accumulators to hide FMA latency; tails use masked
// loads (k-registers), so any d works without padding and nothing is read past an input's end.
#include <immintrin.h>

#include <cstring>

#include "simd/kernels_internal.h"

namespace lookalike::simd {
namespace {

inline __mmask16 Mask16(size_t r) { return static_cast<__mmask16>((1u << r) - 1u); }
inline __mmask8 Mask8(size_t r) { return static_cast<__mmask8>((1u << r) - 1u); }
inline __mmask64 Mask64(size_t r) { return r >= 64 ? ~0ull : ((1ull << r) - 1ull); }

inline __m512 LoadHalf16(const uint16_t* x) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
}
inline __m512 LoadHalfMasked(const uint16_t* x, __mmask16 m) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, x));
}
inline __m512 LoadU8x16(const uint8_t* c) {
  return _mm512_cvtepi32_ps(
      _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c))));
}
inline __m512 LoadU8Masked(const uint8_t* c, __mmask16 m) {
  return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, c)));
}

// Element loaders: 16 lanes of x as floats, all of them or only the lanes of a mask (others
// zero, nothing read past the end). One template per kernel shape then serves every element type.
struct F32Lanes {
  using T = float;
  static __m512 Load(const float* x) { return _mm512_loadu_ps(x); }
  static __m512 Masked(const float* x, __mmask16 m) { return _mm512_maskz_loadu_ps(m, x); }
};
struct F16Lanes {
  using T = uint16_t;
  static __m512 Load(const uint16_t* x) { return LoadHalf16(x); }
  static __m512 Masked(const uint16_t* x, __mmask16 m) { return LoadHalfMasked(x, m); }
};
struct U8Lanes {
  using T = uint8_t;
  static __m512 Load(const uint8_t* x) { return LoadU8x16(x); }
  static __m512 Masked(const uint8_t* x, __mmask16 m) { return LoadU8Masked(x, m); }
};

enum class Op { kL2, kIp };

// s + (q - x)² for kL2, s + q·x for kIp. Masked-off lanes are zero on both sides: they add nothing.
template <Op kOp>
inline __m512 Accumulate(__m512 q, __m512 x, __m512 s) {
  if constexpr (kOp == Op::kL2) {
    const __m512 t = _mm512_sub_ps(q, x);
    return _mm512_fmadd_ps(t, t, s);
  } else {
    return _mm512_fmadd_ps(q, x, s);
  }
}

// One query against one vector: four accumulators over 64-element steps, then 16 at a time
// with a masked final step.
template <Op kOp, class X>
float Distance(const float* q, const typename X::T* x, size_t d) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= d; i += 64) {
    s0 = Accumulate<kOp>(_mm512_loadu_ps(q + i), X::Load(x + i), s0);
    s1 = Accumulate<kOp>(_mm512_loadu_ps(q + i + 16), X::Load(x + i + 16), s1);
    s2 = Accumulate<kOp>(_mm512_loadu_ps(q + i + 32), X::Load(x + i + 32), s2);
    s3 = Accumulate<kOp>(_mm512_loadu_ps(q + i + 48), X::Load(x + i + 48), s3);
  }
  for (; i < d; i += 16) {
    const __mmask16 m = d - i >= 16 ? static_cast<__mmask16>(0xffff) : Mask16(d - i);
    s0 = Accumulate<kOp>(_mm512_maskz_loadu_ps(m, q + i), X::Masked(x + i, m), s0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

// One query against four vectors: each query chunk is loaded once for the four; two chunks per
// iteration give eight independent accumulators.
template <Op kOp, class X>
void Distance4(const float* q, const typename X::T* const x[4], size_t d, float out[4]) {
  __m512 a[4], b[4];
  for (int j = 0; j < 4; ++j) a[j] = b[j] = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    const __m512 q0 = _mm512_loadu_ps(q + i), q1 = _mm512_loadu_ps(q + i + 16);
    for (int j = 0; j < 4; ++j) {
      a[j] = Accumulate<kOp>(q0, X::Load(x[j] + i), a[j]);
      b[j] = Accumulate<kOp>(q1, X::Load(x[j] + i + 16), b[j]);
    }
  }
  for (; i < d; i += 16) {
    const __mmask16 m = d - i >= 16 ? static_cast<__mmask16>(0xffff) : Mask16(d - i);
    const __m512 q0 = _mm512_maskz_loadu_ps(m, q + i);
    for (int j = 0; j < 4; ++j) a[j] = Accumulate<kOp>(q0, X::Masked(x[j] + i, m), a[j]);
  }
  for (int j = 0; j < 4; ++j) out[j] = _mm512_reduce_add_ps(_mm512_add_ps(a[j], b[j]));
}

// VNNI vpdpbusd: unsigned bytes (the codes) x signed bytes (the query), four products summed into
// each int32 lane without saturation; exact while d * 255 * 128 < 2^31 (d < 65793).
int32_t DotS8U8(const int8_t* q, const uint8_t* c, size_t d) {
  __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 128 <= d; i += 128) {
    s0 = _mm512_dpbusd_epi32(s0, _mm512_loadu_si512(c + i), _mm512_loadu_si512(q + i));
    s1 = _mm512_dpbusd_epi32(s1, _mm512_loadu_si512(c + i + 64), _mm512_loadu_si512(q + i + 64));
  }
  for (; i < d; i += 64) {
    const __mmask64 m = Mask64(d - i);
    s0 = _mm512_dpbusd_epi32(s0, _mm512_maskz_loadu_epi8(m, c + i), _mm512_maskz_loadu_epi8(m, q + i));
  }
  return _mm512_reduce_add_epi32(_mm512_add_epi32(s0, s1));
}

uint32_t Hamming(const uint64_t* a, const uint64_t* b, size_t words) {
  __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 16 <= words; i += 16) {
    s0 = _mm512_add_epi64(s0, _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(a + i),
                                                                   _mm512_loadu_si512(b + i))));
    s1 = _mm512_add_epi64(s1, _mm512_popcnt_epi64(_mm512_xor_si512(
                                  _mm512_loadu_si512(a + i + 8), _mm512_loadu_si512(b + i + 8))));
  }
  for (; i < words; i += 8) {
    const __mmask8 m = words - i >= 8 ? static_cast<__mmask8>(0xff) : Mask8(words - i);
    s0 = _mm512_add_epi64(s0, _mm512_popcnt_epi64(_mm512_xor_si512(
                                  _mm512_maskz_loadu_epi64(m, a + i), _mm512_maskz_loadu_epi64(m, b + i))));
  }
  return static_cast<uint32_t>(_mm512_reduce_add_epi64(_mm512_add_epi64(s0, s1)));
}

// The code bits are the k-mask: 16 bits of the code select 16 query lanes for a masked add.
float MaskedSumF32(const float* q, const uint64_t* bits, size_t d) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(bits);  // little-endian word layout
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    uint16_t m0, m1;
    std::memcpy(&m0, bytes + i / 8, 2);
    std::memcpy(&m1, bytes + i / 8 + 2, 2);
    s0 = _mm512_mask_add_ps(s0, m0, s0, _mm512_loadu_ps(q + i));
    s1 = _mm512_mask_add_ps(s1, m1, s1, _mm512_loadu_ps(q + i + 16));
  }
  for (; i < d; i += 16) {
    // Only whole bytes inside ceil(d/64) words are read: i/8 + 1 < words*8 whenever i < d.
    uint16_t m;
    std::memcpy(&m, bytes + i / 8, 2);
    const __mmask16 valid = d - i >= 16 ? static_cast<__mmask16>(0xffff) : Mask16(d - i);
    m &= valid;
    s0 = _mm512_mask_add_ps(s0, m, s0, _mm512_maskz_loadu_ps(m, q + i));
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

void F32ToF16(const float* in, uint16_t* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i),
                        _mm512_cvtps_ph(_mm512_loadu_ps(in + i),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  if (i < n) {
    const __mmask16 m = Mask16(n - i);
    _mm256_mask_storeu_epi16(out + i, m,
                             _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, in + i),
                                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
}

void F16ToF32(const uint16_t* in, float* out, size_t n) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, LoadHalf16(in + i));
  if (i < n) {
    const __mmask16 m = Mask16(n - i);
    _mm512_mask_storeu_ps(out + i, m, LoadHalfMasked(in + i, m));
  }
}

constexpr KernelTable kAvx512Table = {
    Isa::kAvx512,
    Distance<Op::kL2, F32Lanes>,
    Distance<Op::kIp, F32Lanes>,
    Distance4<Op::kL2, F32Lanes>,
    Distance4<Op::kIp, F32Lanes>,
    Distance<Op::kL2, F16Lanes>,
    Distance<Op::kIp, F16Lanes>,
    Distance<Op::kIp, U8Lanes>,
    Distance4<Op::kIp, U8Lanes>,
    DotS8U8,
    Hamming,
    MaskedSumF32,
    F32ToF16,
    F16ToF32,
};

}  // namespace

namespace internal {
const KernelTable& Avx512Table() { return kAvx512Table; }
}  // namespace internal

}  // namespace lookalike::simd
