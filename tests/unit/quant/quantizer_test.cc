// Quantizers: round-trip error bounds, distances against exact float32, batch == single,
// parameter (de)serialisation.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "index/quant/int8_quantizer.h"
#include "index/quant/quantizer.h"

namespace lookalike::quant {
namespace {

std::vector<float> RandomRows(size_t n, size_t d, uint32_t seed, float lo = -1, float hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> x(n * d);
  for (auto& v : x) v = u(rng);
  return x;
}

float ExactDistance(Metric m, const float* q, const float* x, size_t d) {
  double ip = 0, l2 = 0;
  for (size_t i = 0; i < d; ++i) {
    ip += double(q[i]) * x[i];
    l2 += double(q[i] - x[i]) * (q[i] - x[i]);
  }
  if (m == Metric::kL2) return float(l2);
  return m == Metric::kCosine ? float(1 - ip) : float(-ip);
}

TEST(Int8Quantizer, RoundTripWithinHalfStep) {
  const size_t d = 37, n = 500;
  auto x = RandomRows(n, d, 1, -3, 5);
  Int8Quantizer q(d, Metric::kL2);
  EXPECT_FALSE(q.trained());
  q.Train(x.data(), n);
  EXPECT_TRUE(q.trained());
  std::vector<uint8_t> code(q.code_size());
  std::vector<float> back(d);
  for (size_t r = 0; r < n; ++r) {
    q.Encode(&x[r * d], code.data());
    q.Decode(code.data(), back.data());
    for (size_t i = 0; i < d; ++i) {
      EXPECT_LE(std::fabs(back[i] - x[r * d + i]), q.scale()[i] * 0.5f + 1e-5f);
    }
  }
}

TEST(Int8Quantizer, OutOfRangeValuesClamp) {
  const size_t d = 4;
  auto x = RandomRows(100, d, 2);
  Int8Quantizer q(d, Metric::kL2);
  q.Train(x.data(), 100);
  float far[4] = {100, -100, 0, 0};
  std::vector<uint8_t> code(q.code_size());
  q.Encode(far, code.data());
  EXPECT_EQ(code[0], 255);
  EXPECT_EQ(code[1], 0);
}

// Fuzz finding (hnsw_load, tests/regress/fuzz/hnsw_load/): a finite query component times a
// large per-dimension scale overflowed to inf, the rounding step turned it into NaN and converted
// that to int, which is undefined behaviour (UBSan aborts the sanitizer run on it). Queries like
// this pass ValidateVector, so they reach Prepare from the REST API as well.
TEST(Int8Quantizer, HugeQueryComponentsStayInRange) {
  const size_t d = 4;
  auto x = RandomRows(100, d, 3, -1000, 1000);  // scale (step) ~ 7.8: 3e38 * 7.8 overflows
  Int8Quantizer q(d, Metric::kL2);
  q.Train(x.data(), 100);
  const float huge[4] = {3e38f, -3e38f, 1.0f, 0.0f};
  PreparedQuery pq;
  q.Prepare(huge, &pq);
  ASSERT_EQ(pq.q8.size(), d);
  for (int8_t v : pq.q8) {
    EXPECT_GE(v, -127);
    EXPECT_LE(v, 127);
  }
}

class AllCodes : public ::testing::TestWithParam<std::tuple<CodeType, Metric>> {};

TEST_P(AllCodes, DistancesTrackExact) {
  auto [type, metric] = GetParam();
  const size_t d = 67, n = 300;
  auto x = RandomRows(n, d, 3);
  auto queries = RandomRows(10, d, 4);
  if (metric == Metric::kCosine) {
    for (auto* rows : {&x, &queries}) {
      for (size_t r = 0; r < rows->size() / d; ++r) {
        double n2 = 0;
        for (size_t i = 0; i < d; ++i) n2 += (*rows)[r * d + i] * (*rows)[r * d + i];
        for (size_t i = 0; i < d; ++i) (*rows)[r * d + i] /= float(std::sqrt(n2));
      }
    }
  }
  auto q = MakeQuantizer(type, d, metric);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->type(), type);
  EXPECT_EQ(q->code_size() % 4, 0u);
  q->Train(x.data(), n);
  std::vector<uint8_t> codes(n * q->code_size());
  std::vector<const uint8_t*> ptrs(n);
  for (size_t r = 0; r < n; ++r) {
    q->Encode(&x[r * d], &codes[r * q->code_size()]);
    ptrs[r] = &codes[r * q->code_size()];
  }
  // Tolerance relative to the spread of exact distances: 1-bit codes are only a coarse ranking.
  double tol = type == CodeType::kFloat32 ? 1e-4
               : type == CodeType::kFloat16 ? 2e-3
               : type == CodeType::kInt8    ? 2e-2
                                            : 0.6;
  PreparedQuery pq;
  std::vector<float> batch(n);
  double sum_err = 0, sum_spread = 0;
  for (size_t t = 0; t < 10; ++t) {
    const float* query = &queries[t * d];
    q->Prepare(query, &pq);
    q->Distances(pq, ptrs.data(), n, batch.data());
    std::vector<float> exact(n);
    float lo = INFINITY, hi = -INFINITY;
    for (size_t r = 0; r < n; ++r) {
      exact[r] = ExactDistance(metric, query, &x[r * d], d);
      lo = std::min(lo, exact[r]);
      hi = std::max(hi, exact[r]);
      float single = q->Distance(pq, ptrs[r]);
      EXPECT_NEAR(single, batch[r], 1e-3f * (1 + std::fabs(single)));
      sum_err += std::fabs(batch[r] - exact[r]);
    }
    sum_spread += (hi - lo) * n;
  }
  EXPECT_LE(sum_err / sum_spread, tol);
}

INSTANTIATE_TEST_SUITE_P(
    Quant, AllCodes,
    ::testing::Combine(::testing::Values(CodeType::kFloat32, CodeType::kFloat16, CodeType::kInt8,
                                         CodeType::kBinary),
                       ::testing::Values(Metric::kL2, Metric::kInnerProduct, Metric::kCosine)));

TEST(Quantizer, Fp16RoundTrip) {
  const size_t d = 33;
  auto x = RandomRows(1, d, 5, -100, 100);
  auto q = MakeQuantizer(CodeType::kFloat16, d, Metric::kL2);
  std::vector<uint8_t> code(q->code_size());
  std::vector<float> back(d);
  q->Encode(x.data(), code.data());
  q->Decode(code.data(), back.data());
  for (size_t i = 0; i < d; ++i) EXPECT_NEAR(back[i], x[i], std::fabs(x[i]) * 1e-3f + 1e-6f);
}

TEST(Quantizer, BinaryKeepsSigns) {
  const size_t d = 130;
  auto x = RandomRows(200, d, 6);
  auto q = MakeQuantizer(CodeType::kBinary, d, Metric::kL2);
  q->Train(x.data(), 200);
  std::vector<uint8_t> code(q->code_size());
  std::vector<float> back(d), center(d, 0);
  std::vector<float> zero_mean(d, 0);
  q->Encode(x.data(), code.data());
  q->Decode(code.data(), back.data());
  // Reconstruction is centre +- alpha, on the same side of the centre as the input.
  std::vector<float> c0(d);
  std::vector<uint8_t> zc(q->code_size());
  int agree = 0;
  for (size_t i = 0; i < d; ++i) {
    double mean = 0;
    for (size_t r = 0; r < 200; ++r) mean += x[r * d + i];
    mean /= 200;
    agree += ((x[i] > mean) == (back[i] > mean));
  }
  EXPECT_EQ(agree, int(d));
}

TEST(Quantizer, ParamsRoundTripAndCorruption) {
  const size_t d = 16;
  auto x = RandomRows(50, d, 7);
  for (CodeType t : {CodeType::kInt8, CodeType::kBinary}) {
    auto a = MakeQuantizer(t, d, Metric::kL2);
    a->Train(x.data(), 50);
    auto b = MakeQuantizer(t, d, Metric::kL2);
    ASSERT_TRUE(b->LoadParams(a->SaveParams()).ok());
    std::vector<uint8_t> ca(a->code_size()), cb(b->code_size());
    a->Encode(x.data(), ca.data());
    b->Encode(x.data(), cb.data());
    EXPECT_EQ(ca, cb);
    std::string bad = a->SaveParams();
    bad.pop_back();
    EXPECT_TRUE(b->LoadParams(bad).IsCorruption());
  }
  auto f = MakeQuantizer(CodeType::kFloat32, d, Metric::kL2);
  EXPECT_TRUE(f->LoadParams("x").IsCorruption());
}

// Fuzz finding (hnsw_load / load_index): an index file may hold NaN, infinite or huge vectors
// (damaged with valid checksums, or mmapped without a vector checksum). Training on them gave
// NaN or infinite parameters: Encode then converted NaN to uint8 (undefined behaviour) and the
// saved parameters failed LoadParams, so the index could not be opened again.
TEST(Quantizer, TrainingOnNonFiniteOrHugeRowsGivesLoadableParameters) {
  const size_t d = 4;
  const std::vector<float> rows = {NAN,       INFINITY, 3e38f,  1.0f,  // row 0
                                   -INFINITY, NAN,      -3e38f, 2.0f,  // row 1
                                   NAN,       NAN,      1.0f,   NAN};  // row 2
  for (CodeType t : {CodeType::kInt8, CodeType::kBinary}) {
    auto q = MakeQuantizer(t, d, Metric::kL2);
    q->Train(rows.data(), 3);
    ASSERT_TRUE(q->trained());
    auto back = MakeQuantizer(t, d, Metric::kL2);
    Status st = back->LoadParams(q->SaveParams());
    EXPECT_TRUE(st.ok()) << static_cast<int>(t) << ": " << st.ToString();
    std::vector<uint8_t> code(q->code_size());
    for (size_t r = 0; r < 3; ++r) q->Encode(rows.data() + r * d, code.data());
  }
}

TEST(Int8Quantizer, EncodesNonFiniteComponentsToTheRangeEnds) {
  const size_t d = 3;
  auto x = RandomRows(100, d, 5);
  Int8Quantizer q(d, Metric::kL2);
  q.Train(x.data(), 100);
  const float odd[3] = {NAN, INFINITY, -INFINITY};
  std::vector<uint8_t> code(q.code_size());
  q.Encode(odd, code.data());
  EXPECT_EQ(code[0], 0);
  EXPECT_EQ(code[1], 255);
  EXPECT_EQ(code[2], 0);
  for (float v : q.scale()) {
    EXPECT_TRUE(std::isfinite(v) && v > 0);
  }
  // Huge finite rows: the float range (3e38 - -3e38) overflows; the parameters must not.
  const float huge[6] = {3e38f, -3e38f, 0, -3e38f, 3e38f, 0};
  q.Train(huge, 2);
  for (size_t i = 0; i < d; ++i) {
    EXPECT_TRUE(std::isfinite(q.min()[i]) && std::isfinite(q.scale()[i]) && q.scale()[i] > 0)
        << i << " " << q.min()[i] << " " << q.scale()[i];
  }
  q.Encode(huge, code.data());
  EXPECT_EQ(code[0], 255);  // the difference to min overflows to inf: the top code
  EXPECT_LE(code[1], 3);    // -3e38 sits in the margin, a step or two above min
}

// What a damaged file can hold is refused at load with Corruption, never used.
TEST(Quantizer, LoadParamsRefusesNonFiniteAndNonPositiveParameters) {
  const size_t d = 2;
  auto floats = [](std::vector<float> v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  };
  Int8Quantizer q(d, Metric::kL2);
  EXPECT_TRUE(q.LoadParams(floats({0, 0, 0.1f, 0.1f})).ok());
  for (const std::vector<float>& bad : {std::vector<float>{NAN, 0, 0.1f, 0.1f},
                                        {0, INFINITY, 0.1f, 0.1f},
                                        {0, 0, NAN, 0.1f},
                                        {0, 0, 0.1f, INFINITY},
                                        {0, 0, 0, 0.1f},
                                        {0, 0, 0.1f, -0.1f}}) {
    Int8Quantizer fresh(d, Metric::kL2);
    EXPECT_TRUE(fresh.LoadParams(floats(bad)).IsCorruption()) << bad[0] << bad[1] << bad[2];
    EXPECT_FALSE(fresh.trained());
  }
  for (float c : {NAN, INFINITY, -INFINITY}) {
    auto b = MakeQuantizer(CodeType::kBinary, d, Metric::kL2);
    EXPECT_TRUE(b->LoadParams(floats({0, c})).IsCorruption());
  }
}

}  // namespace
}  // namespace lookalike::quant
