// Poolings and whitening of feature maps; see descriptor.h.
#include "embed/descriptor.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "common/coding.h"
#include "common/crc32c.h"

namespace lookalike::embed {
namespace {

constexpr char kWhiteningMagic[8] = {'L', 'K', 'W', 'H', 'I', 'T', 'E', 'N'};
constexpr uint32_t kWhiteningVersion = 1;
constexpr size_t kWhiteningHeader = 8 + 4 * 4;  // magic, version, in, out, reserved
constexpr uint32_t kMaxWhiteningDims = 65536;

// GeM of one channel; max(v, eps) because p-th powers of negatives (or 0 with p < 0) are not
// defined for real p.
float Gem(const float* s, size_t n, float p) {
  constexpr float kEps = 1e-6f;
  double acc = 0;
  if (p == 1.0f) {
    for (size_t j = 0; j < n; ++j) acc += std::max(s[j], kEps);
    return static_cast<float>(acc / n);
  }
  // Scaled by the maximum so that large p neither overflows nor underflows.
  float top = kEps;
  for (size_t j = 0; j < n; ++j) top = std::max(top, s[j]);
  for (size_t j = 0; j < n; ++j) acc += std::pow(std::max(s[j], kEps) / top, p);
  return static_cast<float>(top * std::pow(acc / n, 1.0 / p));
}

// Number of extra region positions along the longer axis (R-MAC's overlap rule: the spacing
// that makes level-1 regions overlap closest to 40 %).
int ExtraPositions(int longer, int shorter) {
  if (longer == shorter) return 0;
  int best = 0;
  double best_err = 1e9;
  for (int steps = 1; steps <= 6; ++steps) {
    double b = static_cast<double>(longer - shorter) / steps;
    double overlap = (static_cast<double>(shorter) * shorter - shorter * b) / (shorter * shorter);
    double err = std::abs(overlap - 0.4);
    if (err < best_err) best_err = err, best = steps;
  }
  return best;
}

std::vector<int> Positions(int extent, int side, int count) {
  std::vector<int> out;
  if (count <= 1 || extent <= side) {
    out.push_back(std::max(0, (extent - side) / 2));
    return out;
  }
  for (int i = 0; i < count; ++i) {
    out.push_back(
        static_cast<int>(std::lround(static_cast<double>(i) * (extent - side) / (count - 1))));
  }
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

std::vector<Region> RmacRegions(int height, int width, int levels) {
  std::vector<Region> out;
  const int shorter = std::min(height, width);
  const int extra = ExtraPositions(std::max(height, width), shorter);
  for (int l = 1; l <= levels; ++l) {
    int side = std::max(1, static_cast<int>(std::lround(2.0 * shorter / (l + 1))));
    if (l == 1) side = shorter;
    int nx = l + (width > height ? extra : 0);
    int ny = l + (height > width ? extra : 0);
    for (int y : Positions(height, side, ny)) {
      for (int x : Positions(width, side, nx)) out.push_back({x, y, side, side});
    }
  }
  return out;
}

void L2Normalize(std::span<float> v) {
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  if (norm <= 0) return;
  float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& x : v) x *= inv;
}

void PoolFeatureMap(const float* map, int channels, int height, int width, Pooling pooling,
                    float gem_p, float* out) {
  const size_t spatial = static_cast<size_t>(height) * width;
  if (pooling == Pooling::kRmac) {
    std::fill(out, out + channels, 0.0f);
    std::vector<float> region(channels);
    for (const Region& r : RmacRegions(height, width, 3)) {
      for (int c = 0; c < channels; ++c) {
        const float* s = map + c * spatial;
        float m = s[static_cast<size_t>(r.y) * width + r.x];
        for (int y = r.y; y < r.y + r.h; ++y) {
          for (int x = r.x; x < r.x + r.w; ++x)
            m = std::max(m, s[static_cast<size_t>(y) * width + x]);
        }
        region[c] = m;
      }
      L2Normalize(region);
      for (int c = 0; c < channels; ++c) out[c] += region[c];
    }
    return;
  }
  for (int c = 0; c < channels; ++c) {
    const float* s = map + c * spatial;
    switch (pooling) {
      case Pooling::kNone:
        assert(spatial == 1);
        out[c] = s[0];
        break;
      case Pooling::kAverage: {
        double acc = 0;
        for (size_t j = 0; j < spatial; ++j) acc += s[j];
        out[c] = static_cast<float>(acc / spatial);
        break;
      }
      case Pooling::kMax:
        out[c] = *std::max_element(s, s + spatial);
        break;
      case Pooling::kGem:
        out[c] = Gem(s, spatial, gem_p);
        break;
      case Pooling::kRmac:
        break;  // handled above
    }
  }
}

void ApplyWhitening(const Whitening& w, const float* in, float* out) {
  std::vector<float> centred(w.in_dims);
  for (int k = 0; k < w.in_dims; ++k) centred[k] = in[k] - w.mean[k];
  for (int r = 0; r < w.out_dims; ++r) {
    const float* row = w.projection.data() + static_cast<size_t>(r) * w.in_dims;
    double acc = 0;
    for (int k = 0; k < w.in_dims; ++k) acc += static_cast<double>(row[k]) * centred[k];
    out[r] = static_cast<float>(acc);
  }
}

std::string EncodeWhitening(const Whitening& w) {
  assert(w.mean.size() == static_cast<size_t>(w.in_dims));
  assert(w.projection.size() == static_cast<size_t>(w.in_dims) * w.out_dims);
  std::string out(kWhiteningMagic, sizeof(kWhiteningMagic));
  PutFixed<uint32_t>(&out, kWhiteningVersion);
  PutFixed<uint32_t>(&out, static_cast<uint32_t>(w.in_dims));
  PutFixed<uint32_t>(&out, static_cast<uint32_t>(w.out_dims));
  PutFixed<uint32_t>(&out, 0);
  for (float v : w.mean) PutFixed<float>(&out, v);
  for (float v : w.projection) PutFixed<float>(&out, v);
  PutFixed<uint32_t>(&out, Crc32c(out.data(), out.size()));
  return out;
}

Result<Whitening> DecodeWhitening(std::span<const uint8_t> bytes) {
  if (bytes.size() < kWhiteningHeader + 4 ||
      std::memcmp(bytes.data(), kWhiteningMagic, sizeof(kWhiteningMagic)) != 0) {
    return Status::InvalidArgument("not a whitening file (no LKWHITEN header)");
  }
  uint32_t version = DecodeFixed<uint32_t>(bytes, 8);
  if (version != kWhiteningVersion) {
    return Status::InvalidArgument("whitening file version " + std::to_string(version) +
                                   " is not supported (this build reads version 1)");
  }
  uint32_t in = DecodeFixed<uint32_t>(bytes, 12), out = DecodeFixed<uint32_t>(bytes, 16);
  if (in == 0 || out == 0 || in > kMaxWhiteningDims || out > in) {
    return Status::InvalidArgument("whitening file has bad dimensions " + std::to_string(out) +
                                   "x" + std::to_string(in));
  }
  const size_t want = kWhiteningHeader + (static_cast<size_t>(in) + size_t{in} * out) * 4 + 4;
  if (bytes.size() != want) {
    return Status::InvalidArgument("whitening file is " + std::to_string(bytes.size()) +
                                   " bytes, its header says " + std::to_string(want));
  }
  uint32_t crc = DecodeFixed<uint32_t>(bytes, want - 4);
  if (crc != Crc32c(bytes.data(), want - 4)) {
    return Status::InvalidArgument("whitening file checksum mismatch (corrupt file)");
  }
  Whitening w;
  w.in_dims = static_cast<int>(in);
  w.out_dims = static_cast<int>(out);
  w.mean.resize(in);
  w.projection.resize(size_t{in} * out);
  std::memcpy(w.mean.data(), bytes.data() + kWhiteningHeader, size_t{in} * 4);
  std::memcpy(w.projection.data(), bytes.data() + kWhiteningHeader + size_t{in} * 4,
              w.projection.size() * 4);
  for (float v : w.mean) {
    if (!std::isfinite(v)) return Status::InvalidArgument("whitening file holds NaN or Inf");
  }
  for (float v : w.projection) {
    if (!std::isfinite(v)) return Status::InvalidArgument("whitening file holds NaN or Inf");
  }
  return w;
}

}  // namespace lookalike::embed
