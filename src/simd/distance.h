// Distance kernels, one table per instruction set, chosen once at run time from cpuid.
//
// Every kernel exists in a scalar form (the oracle in tests) and, where it pays, AVX2 and
// AVX-512 forms compiled in their own translation units with their own flags. No global mutable
// function pointers: Kernels() returns a reference to an immutable table picked on first use
// (a function-local static, thread-safe initialisation).
//
// Conventions: `d` is the number of dimensions (any d >= 1, no padding required);
// pointers need no particular alignment. All kernels are pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lookalike::simd {

enum class Isa : uint8_t { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
std::string_view IsaName(Isa isa);

struct KernelTable {
  Isa isa;

  // float32 x float32
  float (*l2_f32)(const float* a, const float* b, size_t d);  // squared L2
  float (*ip_f32)(const float* a, const float* b, size_t d);  // inner product
  // One query against 4 vectors (the batch form used when expanding graph neighbours).
  void (*l2_f32_x4)(const float* q, const float* const x[4], size_t d, float out[4]);
  void (*ip_f32_x4)(const float* q, const float* const x[4], size_t d, float out[4]);

  // float32 query x float16 vector (IEEE half, stored as uint16_t)
  float (*l2_f16)(const float* q, const uint16_t* x, size_t d);
  float (*ip_f16)(const float* q, const uint16_t* x, size_t d);

  // Scalar quantization, asymmetric: float query x uint8 codes. Returns sum_i q[i] * c[i].
  // Callers fold per-dimension scale/offset into the query (see index/quant/int8_quantizer.h),
  // so IP, cosine and L2 (with stored code norms) all reduce to this dot product.
  float (*dot_f32_u8)(const float* q, const uint8_t* c, size_t d);
  void (*dot_f32_u8_x4)(const float* q, const uint8_t* const c[4], size_t d, float out[4]);

  // Symmetric integer form: int8 query x uint8 codes, exact int32 dot (VNNI-friendly).
  int32_t (*dot_s8_u8)(const int8_t* q, const uint8_t* c, size_t d);

  // 1-bit codes packed little-endian in 64-bit words, `words` = ceil(d / 64).
  uint32_t (*hamming)(const uint64_t* a, const uint64_t* b, size_t words);
  // sum of q[i] over the bits set in `bits` (asymmetric float query x 1-bit code).
  float (*masked_sum_f32)(const float* q, const uint64_t* bits, size_t d);

  // float32 <-> float16 conversion of whole arrays.
  void (*f32_to_f16)(const float* in, uint16_t* out, size_t n);
  void (*f16_to_f32)(const uint16_t* in, float* out, size_t n);
};

/// The table for the best ISA this CPU supports (respects LOOKALIKE_ISA=scalar|avx2|avx512 to
/// force a lower level, e.g. for benchmarks and tests).
const KernelTable& Kernels();

/// The table for a given ISA; nullptr when this CPU (or this build) cannot run it.
const KernelTable* KernelsFor(Isa isa);

/// The scalar oracle table, always available.
const KernelTable& ScalarKernels();

}  // namespace lookalike::simd
