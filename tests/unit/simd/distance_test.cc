// Every kernel of every ISA this CPU runs, against the scalar oracle on random data.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "simd/distance.h"
#include "simd/kernels_internal.h"

namespace lookalike::simd {
namespace {

constexpr size_t kDims[] = {1, 3, 17, 64, 1280, 4096};

std::vector<const KernelTable*> SimdTables() {
  std::vector<const KernelTable*> out;
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (const KernelTable* t = KernelsFor(isa)) out.push_back(t);
  }
  return out;
}

std::vector<float> RandomFloats(size_t n, std::mt19937_64& rng, float lo = -1, float hi = 1) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// Float kernels may sum in a different order: allow rounding error relative to the magnitude of
// the summed terms (not of the result, which may cancel to near zero).
void ExpectClose(float expected, float actual, double magnitude, const std::string& what) {
  const double tol = 1e-5 * magnitude + 1e-6;
  EXPECT_NEAR(expected, actual, tol) << what;
}

double AbsDot(const float* a, const float* b, size_t d) {
  double s = 0;
  for (size_t i = 0; i < d; ++i) s += std::fabs(static_cast<double>(a[i]) * b[i]);
  return s;
}

std::string Where(const KernelTable* t, size_t d) {
  return std::string(IsaName(t->isa)) + " d=" + std::to_string(d);
}

TEST(DistanceTest, ScalarTableIsOracleAndDispatchPicksAvailableIsa) {
  EXPECT_EQ(ScalarKernels().isa, Isa::kScalar);
  EXPECT_EQ(KernelsFor(Isa::kScalar), &ScalarKernels());
  const KernelTable& best = Kernels();
  EXPECT_EQ(KernelsFor(best.isa), &best);
  EXPECT_EQ(IsaName(Isa::kAvx512), "avx512");
}

// Run by CTest with LOOKALIKE_ISA=scalar and =avx2 (see CMakeLists.txt); without the variable it
// checks that the best available table was chosen.
TEST(DistanceTest, IsaOverrideFromEnvironment) {
  const char* env = std::getenv("LOOKALIKE_ISA");
  Isa best = Isa::kScalar;
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (KernelsFor(isa) != nullptr) best = isa;
  }
  Isa want = best;
  if (env != nullptr && std::string(env) == "scalar") want = Isa::kScalar;
  if (env != nullptr && std::string(env) == "avx2" && best == Isa::kAvx512) want = Isa::kAvx2;
  EXPECT_EQ(IsaName(Kernels().isa), IsaName(want)) << "LOOKALIKE_ISA=" << (env ? env : "");
}

TEST(DistanceTest, ScalarOracleMatchesDoubleReference) {
  const float a[3] = {1, 2, 3}, b[3] = {4, 0, -1};
  EXPECT_FLOAT_EQ(ScalarKernels().l2_f32(a, b, 3), 9 + 4 + 16);
  EXPECT_FLOAT_EQ(ScalarKernels().ip_f32(a, b, 3), 4 - 3);
  const uint64_t bits[1] = {0b101};
  EXPECT_FLOAT_EQ(ScalarKernels().masked_sum_f32(a, bits, 3), 4);
}

TEST(DistanceTest, Float32Kernels) {
  const KernelTable& ref = ScalarKernels();
  std::mt19937_64 rng(1);
  for (const KernelTable* t : SimdTables()) {
    for (size_t d : kDims) {
      auto q = RandomFloats(d, rng);
      std::vector<std::vector<float>> x(4);
      for (auto& v : x) v = RandomFloats(d, rng);
      const float* xs[4] = {x[0].data(), x[1].data(), x[2].data(), x[3].data()};
      float out_l2[4], out_ip[4];
      t->l2_f32_x4(q.data(), xs, d, out_l2);
      t->ip_f32_x4(q.data(), xs, d, out_ip);
      for (int j = 0; j < 4; ++j) {
        const float l2 = ref.l2_f32(q.data(), xs[j], d);
        const float ip = ref.ip_f32(q.data(), xs[j], d);
        ExpectClose(l2, t->l2_f32(q.data(), xs[j], d), l2, "l2_f32 " + Where(t, d));
        ExpectClose(ip, t->ip_f32(q.data(), xs[j], d), AbsDot(q.data(), xs[j], d),
                    "ip_f32 " + Where(t, d));
        ExpectClose(l2, out_l2[j], l2, "l2_f32_x4 " + Where(t, d));
        ExpectClose(ip, out_ip[j], AbsDot(q.data(), xs[j], d), "ip_f32_x4 " + Where(t, d));
      }
    }
  }
}

TEST(DistanceTest, Float16Kernels) {
  const KernelTable& ref = ScalarKernels();
  std::mt19937_64 rng(2);
  for (const KernelTable* t : SimdTables()) {
    for (size_t d : kDims) {
      auto q = RandomFloats(d, rng);
      auto xf = RandomFloats(d, rng, -4, 4);
      std::vector<uint16_t> x(d);
      ref.f32_to_f16(xf.data(), x.data(), d);
      std::vector<float> xr(d);
      ref.f16_to_f32(x.data(), xr.data(), d);
      const float l2 = ref.l2_f16(q.data(), x.data(), d);
      const float ip = ref.ip_f16(q.data(), x.data(), d);
      // The oracle itself agrees with the float32 kernel on the decoded vector.
      ExpectClose(ref.l2_f32(q.data(), xr.data(), d), l2, l2, "scalar l2_f16");
      ExpectClose(l2, t->l2_f16(q.data(), x.data(), d), l2, "l2_f16 " + Where(t, d));
      ExpectClose(ip, t->ip_f16(q.data(), x.data(), d), AbsDot(q.data(), xr.data(), d),
                  "ip_f16 " + Where(t, d));
    }
  }
}

TEST(DistanceTest, Uint8Kernels) {
  const KernelTable& ref = ScalarKernels();
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> byte(0, 255);
  for (const KernelTable* t : SimdTables()) {
    for (size_t d : kDims) {
      auto q = RandomFloats(d, rng);
      std::vector<std::vector<uint8_t>> c(4, std::vector<uint8_t>(d));
      std::vector<std::vector<float>> cf(4, std::vector<float>(d));
      for (int j = 0; j < 4; ++j) {
        for (size_t i = 0; i < d; ++i) cf[j][i] = c[j][i] = static_cast<uint8_t>(byte(rng));
      }
      const uint8_t* cs[4] = {c[0].data(), c[1].data(), c[2].data(), c[3].data()};
      float out[4];
      t->dot_f32_u8_x4(q.data(), cs, d, out);
      for (int j = 0; j < 4; ++j) {
        const float want = ref.dot_f32_u8(q.data(), cs[j], d);
        const double mag = AbsDot(q.data(), cf[j].data(), d);
        ExpectClose(want, t->dot_f32_u8(q.data(), cs[j], d), mag, "dot_f32_u8 " + Where(t, d));
        ExpectClose(want, out[j], mag, "dot_f32_u8_x4 " + Where(t, d));
      }
      // Symmetric int8 x uint8: exact, including the extremes that saturate vpmaddubsw.
      std::vector<int8_t> qs(d);
      for (size_t i = 0; i < d; ++i) qs[i] = static_cast<int8_t>(byte(rng) - 128);
      EXPECT_EQ(ref.dot_s8_u8(qs.data(), cs[0], d), t->dot_s8_u8(qs.data(), cs[0], d))
          << "dot_s8_u8 " << Where(t, d);
      std::vector<int8_t> qmin(d, -128);
      std::vector<uint8_t> cmax(d, 255);
      EXPECT_EQ(-128 * 255 * static_cast<int32_t>(d), t->dot_s8_u8(qmin.data(), cmax.data(), d))
          << "dot_s8_u8 extremes " << Where(t, d);
    }
  }
}

TEST(DistanceTest, BinaryKernels) {
  const KernelTable& ref = ScalarKernels();
  std::mt19937_64 rng(4);
  for (const KernelTable* t : SimdTables()) {
    for (size_t d : kDims) {
      const size_t words = (d + 63) / 64;
      std::vector<uint64_t> a(words), b(words);
      for (auto& w : a) w = rng();
      for (auto& w : b) w = rng();
      EXPECT_EQ(ref.hamming(a.data(), b.data(), words), t->hamming(a.data(), b.data(), words))
          << "hamming " << Where(t, d);
      auto q = RandomFloats(d, rng);
      // Bits past d are set deliberately (garbage padding must be ignored).
      const float want = ref.masked_sum_f32(q.data(), a.data(), d);
      double mag = 0;
      for (float v : q) mag += std::fabs(v);
      ExpectClose(want, t->masked_sum_f32(q.data(), a.data(), d), mag,
                  "masked_sum_f32 " + Where(t, d));
    }
    // Hamming over word counts that exercise every tail length.
    for (size_t words = 0; words <= 40; ++words) {
      std::vector<uint64_t> a(words), b(words);
      for (auto& w : a) w = rng();
      for (auto& w : b) w = rng();
      EXPECT_EQ(ref.hamming(a.data(), b.data(), words), t->hamming(a.data(), b.data(), words))
          << IsaName(t->isa) << " words=" << words;
    }
  }
}

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

TEST(DistanceTest, HalfConversionEveryHalfValue) {
  std::vector<uint16_t> all(65536);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint16_t>(i);
  std::vector<float> ref(all.size());
  ScalarKernels().f16_to_f32(all.data(), ref.data(), all.size());
  EXPECT_EQ(ref[0x3c00], 1.0f);
  EXPECT_EQ(ref[0xc000], -2.0f);
  EXPECT_EQ(ref[0x0001], std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(ref[0x7c00]));
  for (const KernelTable* t : SimdTables()) {
    std::vector<float> got(all.size());
    t->f16_to_f32(all.data(), got.data(), all.size());
    for (size_t i = 0; i < all.size(); ++i) {
      if (std::isnan(ref[i])) {
        EXPECT_TRUE(std::isnan(got[i])) << i;
      } else {
        ASSERT_EQ(Bits(ref[i]), Bits(got[i])) << IsaName(t->isa) << " half 0x" << std::hex << i;
      }
    }
    // Round trip half -> float -> half is the identity for every non-NaN half.
    std::vector<uint16_t> back(all.size());
    t->f32_to_f16(got.data(), back.data(), all.size());
    for (size_t i = 0; i < all.size(); ++i) {
      if (!std::isnan(ref[i])) {
        ASSERT_EQ(back[i], all[i]) << IsaName(t->isa) << " " << i;
      }
    }
  }
}

TEST(DistanceTest, FloatToHalfRoundingMatchesHardware) {
  std::mt19937_64 rng(5);
  std::vector<float> in;
  // Random bit patterns across every exponent, plus ties, overflow and subnormal edges.
  for (int i = 0; i < 200000; ++i) {
    uint32_t u = static_cast<uint32_t>(rng());
    float f;
    std::memcpy(&f, &u, 4);
    in.push_back(f);
  }
  for (float f : {0.0f, -0.0f, 65504.0f, 65519.0f, 65520.0f, 1e10f, 6.1e-5f, 5.96e-8f, 2.98e-8f,
                  2.9802322e-08f, 1.0009765625f, 1.00048828125f, 1.00146484375f})
    in.push_back(f);
  std::vector<uint16_t> ref(in.size());
  ScalarKernels().f32_to_f16(in.data(), ref.data(), in.size());
  EXPECT_EQ(ref[in.size() - 3], 0x3c01);  // 1 + 2^-10 exact
  EXPECT_EQ(ref[in.size() - 2], 0x3c00);  // 1 + 2^-11 ties to even (down)
  EXPECT_EQ(ref[in.size() - 1], 0x3c02);  // 1 + 3*2^-11 ties to even (up)
  for (const KernelTable* t : SimdTables()) {
    for (size_t n : {in.size(), size_t{1}, size_t{3}, size_t{17}}) {
      std::vector<uint16_t> got(n + 1, 0xabcd);
      t->f32_to_f16(in.data(), got.data(), n);
      EXPECT_EQ(got[n], 0xabcd) << "wrote past the end";
      for (size_t i = 0; i < n; ++i) {
        const bool nan = std::isnan(in[i]);
        if (nan) {
          EXPECT_EQ(got[i] & 0x7e00, 0x7e00) << i;
        } else {
          ASSERT_EQ(ref[i], got[i]) << IsaName(t->isa) << " value " << in[i];
        }
      }
    }
  }
}

}  // namespace
}  // namespace lookalike::simd
