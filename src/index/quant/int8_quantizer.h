// Int8 scalar quantizer: per-dimension min and scale learned from a sample, one byte per
// component, and the asymmetric distance "float query x uint8 code".
//
// Encoding: c_i = round((x_i - min_i) / scale_i) clamped to [0, 255]; x^_i = min_i + scale_i*c_i.
// Query folding: <q, x^> = sum_i q_i*min_i + sum_i (q_i*scale_i) * c_i, so one dot product per
// code plus a per-query constant. L2 uses the decoded norm |x^|^2 stored after the code bytes:
// |q - x^|^2 = |q|^2 + |x^|^2 - 2<q, x^>.
// The folded query q'_i = q_i*scale_i is itself rounded to int8 (q' ~ s * q8, s = max|q'|/127), so
// the per-code work is the exact integer dot_s8_u8 (one VNNI vpdpbusd per 64 components, ~4x fewer
// instructions than float x uint8). Its extra error is far below the code's own and is removed by
// the float32 rerank; integer sums also make the ranking identical on every ISA.
//
// Code layout: dim bytes, zero padding to a multiple of 4, then float |x^|^2.
#pragma once

#include <vector>

#include "index/quant/quantizer.h"
#include "simd/distance.h"

namespace lookalike::quant {

class Int8Quantizer final : public Quantizer {
 public:
  Int8Quantizer(size_t dim, Metric metric);

  CodeType type() const override { return CodeType::kInt8; }
  size_t code_size() const override { return norm_offset_ + sizeof(float); }
  bool trained() const override { return trained_; }
  void Train(const float* x, size_t n) override;
  void Encode(const float* x, uint8_t* code) const override;
  void Decode(const uint8_t* code, float* x) const override;
  void Prepare(const float* query, PreparedQuery* pq) const override;
  float Distance(const PreparedQuery& pq, const uint8_t* code) const override;
  void Distances(const PreparedQuery& pq, const uint8_t* const* codes, size_t n,
                 float* out) const override;
  std::string SaveParams() const override;
  Status LoadParams(const std::string& bytes) override;

  const std::vector<float>& min() const { return min_; }
  const std::vector<float>& scale() const { return scale_; }

 private:
  float Finish(const PreparedQuery& pq, float dot, const uint8_t* code) const;

  const simd::KernelTable& k_;
  size_t norm_offset_;
  bool trained_ = false;
  std::vector<float> min_;
  std::vector<float> scale_;
};

}  // namespace lookalike::quant
