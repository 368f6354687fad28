// The float32, fp16 and 1-bit quantizers and the factory. Int8 has its own file.
#include <cmath>
#include <cstring>

#include "index/quant/int8_quantizer.h"
#include "index/quant/quantizer.h"
#include "simd/distance.h"

namespace lookalike::quant {
namespace {

// Turns an inner product into the index's "smaller is closer" distance (metrics whose kernel
// is the dot product).
inline float FromIp(const MetricInfo& metric, float ip) { return metric.dot_offset - ip; }

// Float32 "codes": the vector itself. Exact distances.
class Float32Quantizer final : public Quantizer {
 public:
  Float32Quantizer(size_t dim, Metric metric) : Quantizer(dim, metric), k_(simd::Kernels()) {}
  CodeType type() const override { return CodeType::kFloat32; }
  size_t code_size() const override { return dim_ * sizeof(float); }
  void Encode(const float* x, uint8_t* code) const override {
    std::memcpy(code, x, dim_ * sizeof(float));
  }
  void Decode(const uint8_t* code, float* x) const override {
    std::memcpy(x, code, dim_ * sizeof(float));
  }
  void Prepare(const float* query, PreparedQuery* pq) const override {
    pq->q.assign(query, query + dim_);
  }
  float Distance(const PreparedQuery& pq, const uint8_t* code) const override {
    const float* x = reinterpret_cast<const float*>(code);
    if (l2()) return k_.l2_f32(pq.q.data(), x, dim_);
    return FromIp(metric_info_, k_.ip_f32(pq.q.data(), x, dim_));
  }
  void Distances(const PreparedQuery& pq, const uint8_t* const* codes, size_t n,
                 float* out) const override {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
      const float* x[4];
      for (int j = 0; j < 4; ++j) x[j] = reinterpret_cast<const float*>(codes[i + j]);
      if (l2()) {
        k_.l2_f32_x4(pq.q.data(), x, dim_, out + i);
      } else {
        k_.ip_f32_x4(pq.q.data(), x, dim_, out + i);
        for (int j = 0; j < 4; ++j) out[i + j] = FromIp(metric_info_, out[i + j]);
      }
    }
    for (; i < n; ++i) out[i] = Distance(pq, codes[i]);
  }

 private:
  const simd::KernelTable& k_;
};

// IEEE half precision: two bytes per component, padded to a multiple of 4 bytes.
class Fp16Quantizer final : public Quantizer {
 public:
  Fp16Quantizer(size_t dim, Metric metric) : Quantizer(dim, metric), k_(simd::Kernels()) {}
  CodeType type() const override { return CodeType::kFloat16; }
  size_t code_size() const override { return (dim_ * 2 + 3) / 4 * 4; }
  void Encode(const float* x, uint8_t* code) const override {
    std::memset(code, 0, code_size());
    k_.f32_to_f16(x, reinterpret_cast<uint16_t*>(code), dim_);
  }
  void Decode(const uint8_t* code, float* x) const override {
    k_.f16_to_f32(reinterpret_cast<const uint16_t*>(code), x, dim_);
  }
  void Prepare(const float* query, PreparedQuery* pq) const override {
    pq->q.assign(query, query + dim_);
  }
  float Distance(const PreparedQuery& pq, const uint8_t* code) const override {
    const uint16_t* x = reinterpret_cast<const uint16_t*>(code);
    if (l2()) return k_.l2_f16(pq.q.data(), x, dim_);
    return FromIp(metric_info_, k_.ip_f16(pq.q.data(), x, dim_));
  }
  void Distances(const PreparedQuery& pq, const uint8_t* const* codes, size_t n,
                 float* out) const override {
    for (size_t i = 0; i < n; ++i) out[i] = Distance(pq, codes[i]);
  }

 private:
  const simd::KernelTable& k_;
};

// 1-bit codes: bit i says whether x_i lies above the trained per-dimension centre c_i.
// Estimator (RaBitQ-style, without the random rotation): x - c ~ alpha * s with s = sign(x - c)
// and alpha = |x-c|^2 / |x-c|_1, which makes <x-c, s> exact; then
//   <q, x> ~ <q, c> + alpha * (2 * sum_{bits set} q_i - sum_i q_i).
// Code layout: ceil(dim/64) little-endian 64-bit words, then float alpha, then float |x|^2.
class BinaryQuantizer final : public Quantizer {
 public:
  BinaryQuantizer(size_t dim, Metric metric)
      : Quantizer(dim, metric), k_(simd::Kernels()), words_((dim + 63) / 64), center_(dim, 0) {}
  CodeType type() const override { return CodeType::kBinary; }
  size_t code_size() const override { return words_ * 8 + 2 * sizeof(float); }
  bool trained() const override { return trained_; }
  void Train(const float* x, size_t n) override {
    if (n == 0) return;
    // Non-finite components (only a damaged index file holds them) are left out of the mean: a
    // NaN or infinite centre would make the saved index unloadable (LoadParams rejects it). A
    // mean of finite floats, summed in double, is a finite float.
    std::vector<double> sum(dim_, 0);
    std::vector<size_t> count(dim_, 0);
    for (size_t r = 0; r < n; ++r) {
      for (size_t i = 0; i < dim_; ++i) {
        float v = x[r * dim_ + i];
        if (!std::isfinite(v)) continue;
        sum[i] += v;
        ++count[i];
      }
    }
    for (size_t i = 0; i < dim_; ++i) {
      if (count[i] > 0) center_[i] = static_cast<float>(sum[i] / double(count[i]));
    }
    trained_ = true;
  }
  void Encode(const float* x, uint8_t* code) const override {
    std::memset(code, 0, code_size());
    uint64_t* bits = reinterpret_cast<uint64_t*>(code);
    float l1 = 0, l2 = 0, norm2 = 0;
    for (size_t i = 0; i < dim_; ++i) {
      float r = x[i] - center_[i];
      if (r > 0) bits[i / 64] |= uint64_t{1} << (i % 64);
      l1 += std::fabs(r);
      l2 += r * r;
      norm2 += x[i] * x[i];
    }
    float alpha = l1 > 0 ? l2 / l1 : 0;
    std::memcpy(code + words_ * 8, &alpha, sizeof(float));
    std::memcpy(code + words_ * 8 + sizeof(float), &norm2, sizeof(float));
  }
  void Decode(const uint8_t* code, float* x) const override {
    const uint64_t* bits = reinterpret_cast<const uint64_t*>(code);
    float alpha;
    std::memcpy(&alpha, code + words_ * 8, sizeof(float));
    for (size_t i = 0; i < dim_; ++i) {
      bool set = (bits[i / 64] >> (i % 64)) & 1;
      x[i] = center_[i] + (set ? alpha : -alpha);
    }
  }
  void Prepare(const float* query, PreparedQuery* pq) const override {
    pq->q.assign(query, query + dim_);
    float bias = 0, sum = 0, norm2 = 0;
    for (size_t i = 0; i < dim_; ++i) {
      bias += query[i] * center_[i];
      sum += query[i];
      norm2 += query[i] * query[i];
    }
    pq->bias = bias;
    pq->sum = sum;
    pq->norm2 = norm2;
  }
  float Distance(const PreparedQuery& pq, const uint8_t* code) const override {
    const uint64_t* bits = reinterpret_cast<const uint64_t*>(code);
    float alpha, xn;
    std::memcpy(&alpha, code + words_ * 8, sizeof(float));
    std::memcpy(&xn, code + words_ * 8 + sizeof(float), sizeof(float));
    float ip = pq.bias + alpha * (2 * k_.masked_sum_f32(pq.q.data(), bits, dim_) - pq.sum);
    return DistanceFromDot(metric_info_, ip, pq.norm2, xn);
  }
  void Distances(const PreparedQuery& pq, const uint8_t* const* codes, size_t n,
                 float* out) const override {
    for (size_t i = 0; i < n; ++i) out[i] = Distance(pq, codes[i]);
  }
  std::string SaveParams() const override {
    std::string out(dim_ * sizeof(float), '\0');
    std::memcpy(out.data(), center_.data(), out.size());
    return out;
  }
  Status LoadParams(const std::string& bytes) override {
    if (bytes.size() != dim_ * sizeof(float)) {
      return Status::Corruption("1-bit quantizer parameters have the wrong length");
    }
    std::memcpy(center_.data(), bytes.data(), bytes.size());
    for (float c : center_) {
      if (!std::isfinite(c)) return Status::Corruption("1-bit quantizer centre is not finite");
    }
    trained_ = true;
    return Status::OK();
  }

 private:
  const simd::KernelTable& k_;
  size_t words_;
  bool trained_ = false;
  std::vector<float> center_;
};

}  // namespace

std::unique_ptr<Quantizer> MakeQuantizer(CodeType type, size_t dim, Metric metric) {
  switch (type) {
    case CodeType::kFloat32: return std::make_unique<Float32Quantizer>(dim, metric);
    case CodeType::kFloat16: return std::make_unique<Fp16Quantizer>(dim, metric);
    case CodeType::kInt8: return std::make_unique<Int8Quantizer>(dim, metric);
    case CodeType::kBinary: return std::make_unique<BinaryQuantizer>(dim, metric);
  }
  return nullptr;
}

}  // namespace lookalike::quant
