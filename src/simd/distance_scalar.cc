// Scalar kernels: the reference every SIMD form is tested against, and the fallback on CPUs
// without AVX2. Written for clarity first; accumulation is in float (as the SIMD forms do) so
// results agree within rounding.
#include <cmath>
#include <cstring>

#include "simd/kernels_internal.h"

namespace lookalike::simd {
namespace internal {

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    // Zero or subnormal: mant * 2^-24 is exact in float.
    float v = std::ldexp(static_cast<float>(mant), -24);
    std::memcpy(&bits, &v, 4);
    bits |= sign;
  } else if (exp == 31) {
    // Inf or NaN; NaNs come out quiet, as vcvtph2ps produces them.
    bits = sign | 0x7f800000u | (mant << 13) | (mant ? 0x00400000u : 0u);
  } else {
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  x &= 0x7fffffffu;
  if (x >= 0x7f800000u) {  // Inf or NaN (NaN keeps its top payload bits and becomes quiet)
    if (x == 0x7f800000u) return sign | 0x7c00u;
    return static_cast<uint16_t>(sign | 0x7e00u | ((x & 0x7fffffu) >> 13));
  }
  if (x >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds to infinity
  if (x < 0x38800000u) {
    // Below the smallest normal half: the subnormal mantissa is |f| * 2^24 rounded to nearest
    // even (the scaling is exact; 1024 encodes the smallest normal, which is also right).
    float abs_f;
    std::memcpy(&abs_f, &x, 4);
    const float scaled = std::nearbyint(std::ldexp(abs_f, 24));
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(scaled));
  }
  const uint32_t exp = (x >> 23) - 127 + 15;
  const uint32_t mant = x & 0x7fffffu;
  uint32_t half = (exp << 10) | (mant >> 13);
  const uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // carry may bump the exponent
  return static_cast<uint16_t>(sign | half);
}

}  // namespace internal

namespace {

using internal::HalfToFloat;

float L2F32(const float* a, const float* b, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) {
    const float t = a[i] - b[i];
    s += t * t;
  }
  return s;
}

float IpF32(const float* a, const float* b, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) s += a[i] * b[i];
  return s;
}

void L2F32x4(const float* q, const float* const x[4], size_t d, float out[4]) {
  for (int j = 0; j < 4; ++j) out[j] = L2F32(q, x[j], d);
}

void IpF32x4(const float* q, const float* const x[4], size_t d, float out[4]) {
  for (int j = 0; j < 4; ++j) out[j] = IpF32(q, x[j], d);
}

float L2F16(const float* q, const uint16_t* x, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) {
    const float t = q[i] - HalfToFloat(x[i]);
    s += t * t;
  }
  return s;
}

float IpF16(const float* q, const uint16_t* x, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) s += q[i] * HalfToFloat(x[i]);
  return s;
}

float DotF32U8(const float* q, const uint8_t* c, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) s += q[i] * static_cast<float>(c[i]);
  return s;
}

void DotF32U8x4(const float* q, const uint8_t* const c[4], size_t d, float out[4]) {
  for (int j = 0; j < 4; ++j) out[j] = DotF32U8(q, c[j], d);
}

int32_t DotS8U8(const int8_t* q, const uint8_t* c, size_t d) {
  int32_t s = 0;
  for (size_t i = 0; i < d; ++i) s += static_cast<int32_t>(q[i]) * static_cast<int32_t>(c[i]);
  return s;
}

uint32_t Hamming(const uint64_t* a, const uint64_t* b, size_t words) {
  uint32_t s = 0;
  for (size_t i = 0; i < words; ++i) s += static_cast<uint32_t>(__builtin_popcountll(a[i] ^ b[i]));
  return s;
}

float MaskedSumF32(const float* q, const uint64_t* bits, size_t d) {
  float s = 0;
  for (size_t i = 0; i < d; ++i) {
    if ((bits[i / 64] >> (i % 64)) & 1u) s += q[i];
  }
  return s;
}

void F32ToF16(const float* in, uint16_t* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = internal::FloatToHalf(in[i]);
}

void F16ToF32(const uint16_t* in, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = HalfToFloat(in[i]);
}

constexpr KernelTable kScalarTable = {
    Isa::kScalar, L2F32,    IpF32,  L2F32x4, IpF32x4,      L2F16,    IpF16,   DotF32U8,
    DotF32U8x4,   DotS8U8,  Hamming, MaskedSumF32, F32ToF16, F16ToF32,
};

}  // namespace

namespace internal {
const KernelTable& ScalarTable() { return kScalarTable; }
}  // namespace internal

}  // namespace lookalike::simd
