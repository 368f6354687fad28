// A grid of overlapping crops of an image, embedded next to the whole image so that a close-up
// (a part of a photograph, enlarged) finds the photograph it was cut from: the close-up looks
// like one of the crops far more than like the whole picture. Used by `ingest-images --crops N`
// and the crop evaluation tool (src/embed/tools/crop_eval.cc).
//
// Thread safety: pure functions.
#pragma once

#include <vector>

#include "lookalike/embedder.h"

namespace lookalike::embed {

/// The grid sizes `--crops N` accepts: N × N crops (4, 9 or 16) plus the whole image.
inline constexpr int kMinCropGrid = 2;
inline constexpr int kMaxCropGrid = 4;

/// A rectangle of an image in pixels (after EXIF orientation): left, top, width, height.
struct CropBox {
  int x = 0;
  int y = 0;
  int width = 0;
  int height = 0;
};

/// The n × n grid over a width × height image, row by row: each cell spans 2/(n+1) of each
/// side and neighbouring cells overlap by half a cell (the step is 1/(n+1) of the side), so
/// any region up to 1/(n+1) of a side lies wholly inside some cell and a close-up of 1/n of the
/// side is at least 3/4 inside one. Cells keep the image's aspect ratio (the model stretches
/// its input to a square: a cell distorted differently from the image would look less like a
/// close-up of it). The whole image is not among the boxes. Every box has at least one pixel
/// per side and lies inside the image. Requires width, height >= 1 and kMinCropGrid <= n <=
/// kMaxCropGrid (asserted).
std::vector<CropBox> CropGrid(int width, int height, int n);

/// The pixels of `box` (inside `image`, asserted) as an image of their own; `format` is kept.
Image CropImage(const Image& image, const CropBox& box);

}  // namespace lookalike::embed
