// Every kernel x every ISA available on this CPU, at d = 1280 (the MobileNetV2 feature size).
//
// Operands rotate through a pool of 64 vectors (about 330 KB of float32: L2-resident), which is
// how HNSW meets them after the first hops; the *_cold variants rotate through 256 MB so every
// vector comes from DRAM, like the first touch of a neighbour during graph search.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "simd/distance.h"

namespace lookalike::simd {
namespace {

constexpr size_t kDim = 1280;
constexpr size_t kWords = (kDim + 63) / 64;
constexpr size_t kPool = 64;
constexpr size_t kColdPool = (size_t{256} << 20) / (kDim * sizeof(float));

struct Data {
  explicit Data(size_t pool) : pool(pool) {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<float> u(-1, 1);
    q.resize(kDim);
    for (auto& v : q) v = u(rng);
    x.resize(pool * kDim);
    for (auto& v : x) v = u(rng);
    h.resize(pool * kDim);
    ScalarKernels().f32_to_f16(x.data(), h.data(), x.size());
    c.resize(pool * kDim);
    for (auto& v : c) v = static_cast<uint8_t>(rng());
    qs.resize(kDim);
    for (auto& v : qs) v = static_cast<int8_t>(rng());
    bits.resize(pool * kWords);
    for (auto& v : bits) v = rng();
  }
  size_t pool;
  std::vector<float> q, x;
  std::vector<uint16_t> h;
  std::vector<uint8_t> c;
  std::vector<int8_t> qs;
  std::vector<uint64_t> bits;
};

const Data& Hot() {
  static const Data d(kPool);
  return d;
}
const Data& Cold() {
  static const Data d(kColdPool);
  return d;
}

// Registers fn(state, table, data, i) for vector index i cycling through the pool.
template <typename Fn>
void Register(const std::string& kernel, size_t bytes_per_call, bool cold, Fn fn) {
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512}) {
    const KernelTable* t = KernelsFor(isa);
    if (t == nullptr) continue;
    const std::string name = kernel + (cold ? "_cold" : "") + "/" + std::string(IsaName(isa));
    benchmark::RegisterBenchmark(name.c_str(), [t, fn, bytes_per_call, cold](benchmark::State& s) {
      const Data& d = cold ? Cold() : Hot();
      size_t i = 0;
      for (auto _ : s) {
        fn(*t, d, i);
        i = (i + 4 >= d.pool) ? 0 : i + 4;  // x4 kernels use i..i+3
      }
      s.SetBytesProcessed(static_cast<int64_t>(s.iterations() * bytes_per_call));
      s.SetItemsProcessed(static_cast<int64_t>(s.iterations()));
    });
  }
}

int RegisterAll() {
  constexpr size_t kF = kDim * sizeof(float);
  for (bool cold : {false, true}) {
    Register("l2_f32", kF, cold, [](const KernelTable& t, const Data& d, size_t i) {
      benchmark::DoNotOptimize(t.l2_f32(d.q.data(), &d.x[i * kDim], kDim));
    });
  }
  Register("ip_f32", kF, false, [](const KernelTable& t, const Data& d, size_t i) {
    benchmark::DoNotOptimize(t.ip_f32(d.q.data(), &d.x[i * kDim], kDim));
  });
  for (bool cold : {false, true}) {
    Register("l2_f32_x4", 4 * kF, cold, [](const KernelTable& t, const Data& d, size_t i) {
      const float* xs[4] = {&d.x[i * kDim], &d.x[(i + 1) * kDim], &d.x[(i + 2) * kDim],
                            &d.x[(i + 3) * kDim]};
      float out[4];
      t.l2_f32_x4(d.q.data(), xs, kDim, out);
      benchmark::DoNotOptimize(out);
    });
  }
  Register("ip_f32_x4", 4 * kF, false, [](const KernelTable& t, const Data& d, size_t i) {
    const float* xs[4] = {&d.x[i * kDim], &d.x[(i + 1) * kDim], &d.x[(i + 2) * kDim],
                          &d.x[(i + 3) * kDim]};
    float out[4];
    t.ip_f32_x4(d.q.data(), xs, kDim, out);
    benchmark::DoNotOptimize(out);
  });
  Register("l2_f16", kDim * 2, false, [](const KernelTable& t, const Data& d, size_t i) {
    benchmark::DoNotOptimize(t.l2_f16(d.q.data(), &d.h[i * kDim], kDim));
  });
  Register("ip_f16", kDim * 2, false, [](const KernelTable& t, const Data& d, size_t i) {
    benchmark::DoNotOptimize(t.ip_f16(d.q.data(), &d.h[i * kDim], kDim));
  });
  for (bool cold : {false, true}) {
    Register("dot_f32_u8", kDim, cold, [](const KernelTable& t, const Data& d, size_t i) {
      benchmark::DoNotOptimize(t.dot_f32_u8(d.q.data(), &d.c[i * kDim], kDim));
    });
  }
  Register("dot_f32_u8_x4", 4 * kDim, false, [](const KernelTable& t, const Data& d, size_t i) {
    const uint8_t* cs[4] = {&d.c[i * kDim], &d.c[(i + 1) * kDim], &d.c[(i + 2) * kDim],
                            &d.c[(i + 3) * kDim]};
    float out[4];
    t.dot_f32_u8_x4(d.q.data(), cs, kDim, out);
    benchmark::DoNotOptimize(out);
  });
  Register("dot_s8_u8", kDim, false, [](const KernelTable& t, const Data& d, size_t i) {
    benchmark::DoNotOptimize(t.dot_s8_u8(d.qs.data(), &d.c[i * kDim], kDim));
  });
  Register("hamming", kWords * 8, false, [](const KernelTable& t, const Data& d, size_t i) {
    benchmark::DoNotOptimize(t.hamming(&d.bits[0], &d.bits[i * kWords], kWords));
  });
  Register("masked_sum_f32", kWords * 8, false, [](const KernelTable& t, const Data& d, size_t i) {
    benchmark::DoNotOptimize(t.masked_sum_f32(d.q.data(), &d.bits[i * kWords], kDim));
  });
  Register("f32_to_f16", kF, false, [](const KernelTable& t, const Data& d, size_t i) {
    uint16_t out[kDim];
    t.f32_to_f16(&d.x[i * kDim], out, kDim);
    benchmark::DoNotOptimize(out);
  });
  Register("f16_to_f32", kDim * 2, false, [](const KernelTable& t, const Data& d, size_t i) {
    float out[kDim];
    t.f16_to_f32(&d.h[i * kDim], out, kDim);
    benchmark::DoNotOptimize(out);
  });
  return 0;
}

const int kRegistered = RegisterAll();

}  // namespace
}  // namespace lookalike::simd
