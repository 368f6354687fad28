// See crop_grid.h.
#include "embed/crop_grid.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace lookalike::embed {
namespace {

// Start and length of cell `i` of `n` along a side of `side` pixels. Integer arithmetic on
// 64 bits so that every side up to INT_MAX is exact and the last cell ends at the edge.
void Span(int side, int n, int i, int* start, int* length) {
  const int64_t s = side;
  int64_t begin = s * i / (n + 1);
  int64_t end = s * (i + 2) / (n + 1);
  if (end <= begin) end = begin + 1;  // tiny sides: begin < side always, so this fits
  *start = static_cast<int>(begin);
  *length = static_cast<int>(end - begin);
}

}  // namespace

std::vector<CropBox> CropGrid(int width, int height, int n) {
  assert(width >= 1 && height >= 1 && n >= kMinCropGrid && n <= kMaxCropGrid);
  std::vector<CropBox> boxes;
  boxes.reserve(static_cast<size_t>(n) * n);
  for (int row = 0; row < n; ++row) {
    for (int col = 0; col < n; ++col) {
      CropBox b;
      Span(width, n, col, &b.x, &b.width);
      Span(height, n, row, &b.y, &b.height);
      boxes.push_back(b);
    }
  }
  return boxes;
}

Image CropImage(const Image& image, const CropBox& box) {
  assert(box.x >= 0 && box.y >= 0 && box.width >= 1 && box.height >= 1 &&
         box.x + box.width <= image.width && box.y + box.height <= image.height);
  Image out;
  out.width = box.width;
  out.height = box.height;
  out.format = image.format;
  out.rgb.resize(static_cast<size_t>(box.width) * box.height * 3);
  const size_t row_bytes = static_cast<size_t>(box.width) * 3;
  for (int y = 0; y < box.height; ++y) {
    const uint8_t* src =
        image.rgb.data() + (static_cast<size_t>(box.y + y) * image.width + box.x) * 3;
    std::memcpy(out.rgb.data() + y * row_bytes, src, row_bytes);
  }
  return out;
}

}  // namespace lookalike::embed
