// Picks the kernel table once from cpuid (and the LOOKALIKE_ISA override).
#include <cpuid.h>

#include <cstdlib>
#include <string_view>

#include "simd/kernels_internal.h"

namespace lookalike::simd {
namespace {

// CPUID.1:ECX.F16C read directly: clang (14) rejects "f16c" in __builtin_cpu_supports. F16C
// uses the AVX register state, whose OS support the "avx2" check below already covers.
bool CpuHasF16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
}

// __builtin_cpu_supports also checks that the OS saves the wider register state (XCR0).
bool CpuHasAvx2() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && CpuHasF16c() &&
         __builtin_cpu_supports("popcnt");
}

bool CpuHasAvx512() {
  return CpuHasAvx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vpopcntdq");
}

// The ceiling requested through LOOKALIKE_ISA; unknown values are ignored (no ceiling).
Isa IsaCeiling() {
  const char* env = std::getenv("LOOKALIKE_ISA");
  if (env == nullptr) return Isa::kAvx512;
  const std::string_view v(env);
  if (v == "scalar") return Isa::kScalar;
  if (v == "avx2") return Isa::kAvx2;
  return Isa::kAvx512;
}

const KernelTable& Choose() {
  const Isa ceiling = IsaCeiling();
  for (Isa isa : {Isa::kAvx512, Isa::kAvx2}) {
    if (static_cast<int>(isa) > static_cast<int>(ceiling)) continue;
    if (const KernelTable* t = KernelsFor(isa)) return *t;
  }
  return internal::ScalarTable();
}

}  // namespace

std::string_view IsaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "unknown";
}

const KernelTable* KernelsFor(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return &internal::ScalarTable();
    case Isa::kAvx2: return CpuHasAvx2() ? &internal::Avx2Table() : nullptr;
    case Isa::kAvx512: return CpuHasAvx512() ? &internal::Avx512Table() : nullptr;
  }
  return nullptr;
}

const KernelTable& Kernels() {
  static const KernelTable& table = Choose();
  return table;
}

const KernelTable& ScalarKernels() { return internal::ScalarTable(); }

}  // namespace lookalike::simd
