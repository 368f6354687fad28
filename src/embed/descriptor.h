// From a CNN feature map to a global image descriptor: the poolings the manifest can ask for
// (average, max, generalised mean, R-MAC) and PCA-whitening. Pure functions on plain arrays so
// that they are tested without a network (tests/unit/embed/descriptor_test.cc).
//
// A feature map is one image's [C, H, W] block, row-major, as OpenCV DNN returns it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lookalike/embedder.h"
#include "lookalike/status.h"

namespace lookalike::embed {

/// A rectangle of feature-map cells: columns [x, x + w), rows [y, y + h).
struct Region {
  int x = 0, y = 0, w = 0, h = 0;
};

/// Pools each channel of `map` ([channels, height, width]) into out[c]:
///   kAverage  mean;  kMax  maximum;
///   kGem      generalised mean (mean of max(v, 1e-6)^p)^(1/p): p = 1 is the average of a
///             non-negative map, p → ∞ approaches the maximum;
///   kRmac     R-MAC: max-pool every region of RmacRegions(height, width, 3), L2-normalise each
///             region vector, and sum them.
/// `out` holds `channels` floats. kNone requires height = width = 1 (it copies).
void PoolFeatureMap(const float* map, int channels, int height, int width, Pooling pooling,
                    float gem_p, float* out);

/// The R-MAC regions of an H×W map (Tolias et al.'s sampling): at level l = 1..levels, square
/// regions of side round(2·min(H, W) / (l + 1)) placed uniformly so that consecutive regions
/// overlap by about 40 %; level 1 is one region of side min(H, W) per position along the longer
/// axis. Every region lies inside the map.
std::vector<Region> RmacRegions(int height, int width, int levels);

/// L2-normalises v in place; a zero vector stays zero.
void L2Normalize(std::span<float> v);

/// Applies `w`: out = P (in − mean), P being out_dims × in_dims. `in` has w.in_dims floats,
/// `out` w.out_dims.
void ApplyWhitening(const Whitening& w, const float* in, float* out);

/// The whitening file format (docs/formats/whitening.md): magic "LKWHITEN", version, dims, the
/// mean, the projection, CRC-32C.
std::string EncodeWhitening(const Whitening& w);
/// InvalidArgument (naming what is wrong) for a short, corrupt or inconsistent file.
Result<Whitening> DecodeWhitening(std::span<const uint8_t> bytes);

}  // namespace lookalike::embed
