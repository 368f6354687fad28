#include "index/quant/int8_quantizer.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

namespace lookalike::quant {
namespace {
// The smallest per-dimension step Train produces (for constant dimensions).
constexpr float kMinScale = 1e-12f;
}  // namespace

Int8Quantizer::Int8Quantizer(size_t dim, Metric metric)
    : Quantizer(dim, metric),
      k_(simd::Kernels()),
      norm_offset_((dim + 3) / 4 * 4),
      min_(dim, -1.0f),
      scale_(dim, 2.0f / 255.0f) {}

void Int8Quantizer::Train(const float* x, size_t n) {
  if (n == 0) return;
  // Non-finite components (only a damaged index file holds them: writes reject them) are left
  // out, and the range is computed in double: a float range of two huge finite components
  // overflows to inf, and inf or NaN parameters would make every code undefined and the saved
  // index unloadable (LoadParams rejects them).
  std::vector<double> lo(dim_, INFINITY), hi(dim_, -INFINITY);
  for (size_t r = 0; r < n; ++r) {
    const float* row = x + r * dim_;
    for (size_t i = 0; i < dim_; ++i) {
      if (!std::isfinite(row[i])) continue;
      lo[i] = std::min(lo[i], double{row[i]});
      hi[i] = std::max(hi[i], double{row[i]});
    }
  }
  for (size_t i = 0; i < dim_; ++i) {
    if (lo[i] > hi[i]) continue;  // no finite sample: keep the current parameters
    // A small margin: later vectors slightly outside the sample's range still encode well.
    double range = hi[i] - lo[i];
    double margin = range * 0.01;
    min_[i] = static_cast<float>(std::max(lo[i] - margin, double{-FLT_MAX}));
    // A (numerically) constant dimension keeps a tiny non-zero scale so the code stays well
    // defined; span / 255 is at most ~2.7e36, always a finite float.
    scale_[i] = std::max(static_cast<float>((range + 2 * margin) / 255.0), kMinScale);
  }
  trained_ = true;
}

void Int8Quantizer::Encode(const float* x, uint8_t* code) const {
  float norm2 = 0;
  for (size_t i = 0; i < dim_; ++i) {
    float v = std::nearbyint((x[i] - min_[i]) / scale_[i]);
    // NaN (a NaN or infinite component) becomes 0: std::max returns its first argument when the
    // comparison is false. Converting NaN to an integer would be undefined behaviour.
    v = std::min(255.0f, std::max(0.0f, v));
    code[i] = static_cast<uint8_t>(v);
    float dec = min_[i] + scale_[i] * v;
    norm2 += dec * dec;
  }
  std::memset(code + dim_, 0, norm_offset_ - dim_);
  std::memcpy(code + norm_offset_, &norm2, sizeof(float));
}

void Int8Quantizer::Decode(const uint8_t* code, float* x) const {
  for (size_t i = 0; i < dim_; ++i) x[i] = min_[i] + scale_[i] * code[i];
}

void Int8Quantizer::Prepare(const float* query, PreparedQuery* pq) const {
  pq->q.resize(dim_);
  pq->q8.resize(dim_);
  float bias = 0, norm2 = 0, qmax = 0;
  float* folded = pq->q.data();
  const float* scale = scale_.data();
  const float* mn = min_.data();
  for (size_t i = 0; i < dim_; ++i) {
    folded[i] = query[i] * scale[i];
    qmax = std::max(qmax, std::fabs(folded[i]));
  }
  bias = k_.ip_f32(query, mn, dim_);
  norm2 = k_.ip_f32(query, query, dim_);
  float s = qmax > 0 ? qmax / 127.0f : 1.0f;
  float inv = 1.0f / s;
  // Round half away from zero with plain arithmetic so the loop vectorises (Prepare runs once per
  // neighbour-selection candidate during builds, not only once per query). |q*inv| <= 127 for
  // finite products; a huge component times a large scale overflows to inf, qmax is then inf and
  // r NaN, so r is clamped (NaN to -127, operand order chosen for that) before the conversion,
  // which is undefined behaviour for NaN and out-of-range values.
  const float* q = pq->q.data();
  int8_t* q8 = pq->q8.data();
  for (size_t i = 0; i < dim_; ++i) {
    float r = std::min(127.0f, std::max(-127.0f, q[i] * inv));
    q8[i] = static_cast<int8_t>(static_cast<int>(r + (r >= 0 ? 0.5f : -0.5f)));
  }
  pq->q8_scale = s;
  pq->bias = bias;
  pq->norm2 = norm2;
}

inline float Int8Quantizer::Finish(const PreparedQuery& pq, float dot, const uint8_t* code) const {
  float ip = pq.bias + dot;
  float xn = 0;
  if (l2()) std::memcpy(&xn, code + norm_offset_, sizeof(float));  // only l2 needs |x|²
  return DistanceFromDot(metric_info_, ip, pq.norm2, xn);
}

float Int8Quantizer::Distance(const PreparedQuery& pq, const uint8_t* code) const {
  return Finish(pq, pq.q8_scale * float(k_.dot_s8_u8(pq.q8.data(), code, dim_)), code);
}

void Int8Quantizer::Distances(const PreparedQuery& pq, const uint8_t* const* codes, size_t n,
                              float* out) const {
  for (size_t i = 0; i < n; ++i) out[i] = Distance(pq, codes[i]);
}

std::string Int8Quantizer::SaveParams() const {
  std::string out(2 * dim_ * sizeof(float), '\0');
  std::memcpy(out.data(), min_.data(), dim_ * sizeof(float));
  std::memcpy(out.data() + dim_ * sizeof(float), scale_.data(), dim_ * sizeof(float));
  return out;
}

Status Int8Quantizer::LoadParams(const std::string& bytes) {
  if (bytes.size() != 2 * dim_ * sizeof(float)) {
    return Status::Corruption("int8 quantizer parameters have the wrong length");
  }
  std::memcpy(min_.data(), bytes.data(), dim_ * sizeof(float));
  std::memcpy(scale_.data(), bytes.data() + dim_ * sizeof(float), dim_ * sizeof(float));
  for (size_t i = 0; i < dim_; ++i) {
    if (!std::isfinite(min_[i]) || !std::isfinite(scale_[i]) || scale_[i] <= 0) {
      return Status::Corruption("int8 quantizer parameters are not finite and positive");
    }
  }
  trained_ = true;
  return Status::OK();
}

}  // namespace lookalike::quant
