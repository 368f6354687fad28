// AVX2 + FMA + F16C kernels. Compiled with LOOKALIKE_AVX2_FLAGS only; see kernels_internal.h
// for why everything here stays in an anonymous namespace.
//
// Main loops keep several independent accumulators so FMA latency (4 cycles, 2 ports) is hidden;
// tails (d not a multiple of 8) use masked loads or a zero-padded stack copy, never reading past
// the end of an input.
#include <immintrin.h>

#include <cstring>

#include "simd/kernels_internal.h"

namespace lookalike::simd {
namespace {

inline float HSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int32_t HSumI32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

// Lane mask with the first r (0..8) lanes set, for _mm256_maskload_ps.
alignas(64) constexpr int32_t kMaskTable[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                0,  0,  0,  0,  0,  0,  0,  0};
inline __m256i TailMask(size_t r) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskTable + 8 - r));
}

// Loads 8 fp16 (or fewer, zero-filled) and widens them.
inline __m256 LoadHalf8(const uint16_t* x) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x)));
}
inline __m256 LoadHalfTail(const uint16_t* x, size_t r) {
  uint16_t buf[8] = {};
  std::memcpy(buf, x, r * sizeof(uint16_t));
  return LoadHalf8(buf);
}
// Loads 8 uint8 codes (or fewer, zero-filled) as floats.
inline __m256 LoadU8x8(const uint8_t* c) {
  return _mm256_cvtepi32_ps(
      _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(c))));
}
inline __m256 LoadU8Tail(const uint8_t* c, size_t r) {
  uint8_t buf[8] = {};
  std::memcpy(buf, c, r);
  return LoadU8x8(buf);
}

// Element loaders: 8 lanes of x as floats, either all of them or only the first r (zero-filled,
// never reading past the end). One template per kernel shape then serves every element type.
struct F32Lanes {
  using T = float;
  static __m256 Load(const float* x) { return _mm256_loadu_ps(x); }
  static __m256 Tail(const float* x, size_t r) { return _mm256_maskload_ps(x, TailMask(r)); }
};
struct F16Lanes {
  using T = uint16_t;
  static __m256 Load(const uint16_t* x) { return LoadHalf8(x); }
  static __m256 Tail(const uint16_t* x, size_t r) { return LoadHalfTail(x, r); }
};
struct U8Lanes {
  using T = uint8_t;
  static __m256 Load(const uint8_t* x) { return LoadU8x8(x); }
  static __m256 Tail(const uint8_t* x, size_t r) { return LoadU8Tail(x, r); }
};

enum class Op { kL2, kIp };

// s + (q - x)² for kL2, s + q·x for kIp. Zero-filled tail lanes add nothing either way.
template <Op kOp>
inline __m256 Accumulate(__m256 q, __m256 x, __m256 s) {
  if constexpr (kOp == Op::kL2) {
    const __m256 t = _mm256_sub_ps(q, x);
    return _mm256_fmadd_ps(t, t, s);
  } else {
    return _mm256_fmadd_ps(q, x, s);
  }
}

// One query against one vector: four accumulators over 32-element steps.
template <Op kOp, class X>
float Distance(const float* q, const typename X::T* x, size_t d) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    s0 = Accumulate<kOp>(_mm256_loadu_ps(q + i), X::Load(x + i), s0);
    s1 = Accumulate<kOp>(_mm256_loadu_ps(q + i + 8), X::Load(x + i + 8), s1);
    s2 = Accumulate<kOp>(_mm256_loadu_ps(q + i + 16), X::Load(x + i + 16), s2);
    s3 = Accumulate<kOp>(_mm256_loadu_ps(q + i + 24), X::Load(x + i + 24), s3);
  }
  for (; i + 8 <= d; i += 8) s0 = Accumulate<kOp>(_mm256_loadu_ps(q + i), X::Load(x + i), s0);
  if (i < d) {
    s1 = Accumulate<kOp>(_mm256_maskload_ps(q + i, TailMask(d - i)), X::Tail(x + i, d - i), s1);
  }
  return HSum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

// One query against four vectors: each query chunk is loaded once for the four; two chunks per
// iteration give eight independent accumulators.
template <Op kOp, class X>
void Distance4(const float* q, const typename X::T* const x[4], size_t d, float out[4]) {
  __m256 a[4], b[4];
  for (int j = 0; j < 4; ++j) a[j] = b[j] = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    const __m256 q0 = _mm256_loadu_ps(q + i), q1 = _mm256_loadu_ps(q + i + 8);
    for (int j = 0; j < 4; ++j) {
      a[j] = Accumulate<kOp>(q0, X::Load(x[j] + i), a[j]);
      b[j] = Accumulate<kOp>(q1, X::Load(x[j] + i + 8), b[j]);
    }
  }
  for (; i + 8 <= d; i += 8) {
    const __m256 q0 = _mm256_loadu_ps(q + i);
    for (int j = 0; j < 4; ++j) a[j] = Accumulate<kOp>(q0, X::Load(x[j] + i), a[j]);
  }
  if (i < d) {
    const __m256 q0 = _mm256_maskload_ps(q + i, TailMask(d - i));
    for (int j = 0; j < 4; ++j) b[j] = Accumulate<kOp>(q0, X::Tail(x[j] + i, d - i), b[j]);
  }
  for (int j = 0; j < 4; ++j) out[j] = HSum(_mm256_add_ps(a[j], b[j]));
}

// No VNNI at this level, and vpmaddubsw saturates (255 * 127 * 2 > 32767), so widen both sides
// to int16 and use vpmaddwd, which is exact.
int32_t DotS8U8(const int8_t* q, const uint8_t* c, size_t d) {
  __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    const __m256i q0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + i)));
    const __m256i c0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c + i)));
    const __m256i q1 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + i + 16)));
    const __m256i c1 =
        _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c + i + 16)));
    s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(q0, c0));
    s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(q1, c1));
  }
  int32_t s = HSumI32(_mm256_add_epi32(s0, s1));
  for (; i < d; ++i) s += static_cast<int32_t>(q[i]) * static_cast<int32_t>(c[i]);
  return s;
}

uint32_t Hamming(const uint64_t* a, const uint64_t* b, size_t words) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 4 <= words; i += 4) {
    s0 += _mm_popcnt_u64(a[i] ^ b[i]);
    s1 += _mm_popcnt_u64(a[i + 1] ^ b[i + 1]);
    s2 += _mm_popcnt_u64(a[i + 2] ^ b[i + 2]);
    s3 += _mm_popcnt_u64(a[i + 3] ^ b[i + 3]);
  }
  for (; i < words; ++i) s0 += _mm_popcnt_u64(a[i] ^ b[i]);
  return static_cast<uint32_t>(s0 + s1 + s2 + s3);
}

// Expands 8 bits into a lane mask: lane k is all-ones when bit k of `byte` is set.
inline __m256 ByteToMask(uint8_t byte) {
  const __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
  const __m256i v = _mm256_and_si256(_mm256_set1_epi32(byte), sel);
  return _mm256_castsi256_ps(_mm256_cmpeq_epi32(v, sel));
}

float MaskedSumF32(const float* q, const uint64_t* bits, size_t d) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(bits);  // little-endian word layout
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    s0 = _mm256_add_ps(s0, _mm256_and_ps(ByteToMask(bytes[i / 8]), _mm256_loadu_ps(q + i)));
    s1 = _mm256_add_ps(s1,
                       _mm256_and_ps(ByteToMask(bytes[i / 8 + 1]), _mm256_loadu_ps(q + i + 8)));
  }
  for (; i + 8 <= d; i += 8) {
    s0 = _mm256_add_ps(s0, _mm256_and_ps(ByteToMask(bytes[i / 8]), _mm256_loadu_ps(q + i)));
  }
  if (i < d) {
    const __m256 v = _mm256_maskload_ps(q + i, TailMask(d - i));
    s1 = _mm256_add_ps(s1, _mm256_and_ps(ByteToMask(bytes[i / 8]), v));
  }
  return HSum(_mm256_add_ps(s0, s1));
}

void F32ToF16(const float* in, uint16_t* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT));
  }
  if (i < n) {
    alignas(16) uint16_t buf[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(buf),
                    _mm256_cvtps_ph(_mm256_maskload_ps(in + i, TailMask(n - i)),
                                    _MM_FROUND_TO_NEAREST_INT));
    std::memcpy(out + i, buf, (n - i) * sizeof(uint16_t));
  }
}

void F16ToF32(const uint16_t* in, float* out, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, LoadHalf8(in + i));
  if (i < n) _mm256_maskstore_ps(out + i, TailMask(n - i), LoadHalfTail(in + i, n - i));
}

constexpr KernelTable kAvx2Table = {
    Isa::kAvx2,
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
const KernelTable& Avx2Table() { return kAvx2Table; }
}  // namespace internal

}  // namespace lookalike::simd
