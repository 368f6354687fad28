// Seeded synthetic "CNN-like" embeddings: the stand-in for 1,280-d MobileNetV2 image features
// when no real embeddings are at hand. The model and the reasons behind every parameter are in
// docs/design/synthetic-data.md; in short, for row i:
//
//   j  ~ cluster distribution (Zipf-skewed sizes)
//   z  = centre_j + within * N(0, I_rank)                latent code in a rank-dim subspace
//   s  = z B                                             B: rank x dim, entries N(0, 1/rank)
//   v_t = gain_t * max(0, s_t + bias + noise * N(0,1))   ReLU like a CNN's last activation
//   x  = v / |v|                                         L2-normalised, non-negative
//
// Row i of a stream depends only on (seed, stream, i): the first 100k rows of a 1M set are the
// 100k set, and queries (another stream) are fresh draws from the same distribution that are
// never in the base set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dataset.h"
#include "lookalike/status.h"

namespace lookalike::bench {

struct SyntheticParams {
  std::string preset = "custom";
  size_t dim = 1280;
  size_t rank = 64;            // dimension of the latent subspace
  size_t clusters = 256;       // mixture components in the latent space
  double zipf = 0.0;           // cluster-size skew: P(j) proportional to (j+1)^-zipf
  double center_scale = 1.0;   // stddev of cluster centres per latent axis
  double within = 0.5;         // stddev of a point around its centre per latent axis
  double noise = 0.2;          // full-rank noise stddev per output dimension (before ReLU)
  double bias = 0.0;           // added before ReLU; negative values make the vectors sparser
  double gain_sigma = 0.5;     // per-dimension gains are exp(gain_sigma * N(0,1))
  uint64_t seed = 1;
};

/// Streams: base rows and query rows come from independent streams of the same distribution.
inline constexpr uint64_t kBaseStream = 0;
inline constexpr uint64_t kQueryStream = 1;

/// The presets "easy" and "hard" (dimension and seed keep their defaults; override afterwards).
Result<SyntheticParams> SyntheticPreset(std::string_view name);

/// Applies "key=value,key=value" overrides (keys as in the struct, e.g. "noise=0.3,rank=128").
Status ApplySyntheticOverrides(std::string_view spec, SyntheticParams* params);

/// One line naming every parameter, used in tables and as part of the cache key.
std::string DescribeSynthetic(const SyntheticParams& params);

/// Generates rows [first_row, first_row + rows) of `stream` into a rows x dim matrix, using
/// `threads` workers (results do not depend on the thread count).
Result<Matrix> GenerateSynthetic(const SyntheticParams& params, uint64_t stream, size_t first_row,
                                 size_t rows, int threads);

}  // namespace lookalike::bench
