// The crop grid of `ingest-images --crops N`: n × n boxes inside the image with the image's
// aspect ratio, overlapping so that every small region lies inside some box, and CropImage
// copying exactly the box's pixels.
#include <gtest/gtest.h>

#include <algorithm>

#include "embed/crop_grid.h"

namespace lookalike::embed {
namespace {

TEST(CropGridTest, BoxesAreInsideOverlapAndKeepTheAspect) {
  for (int n = kMinCropGrid; n <= kMaxCropGrid; ++n) {
    for (auto [w, h] : {std::pair{1024, 683}, std::pair{640, 480}, std::pair{300, 1000}}) {
      std::vector<CropBox> boxes = CropGrid(w, h, n);
      ASSERT_EQ(boxes.size(), size_t(n * n));
      for (const CropBox& b : boxes) {
        EXPECT_GE(b.x, 0);
        EXPECT_GE(b.y, 0);
        EXPECT_LE(b.x + b.width, w);
        EXPECT_LE(b.y + b.height, h);
        // 2/(n+1) of each side, within a pixel of rounding.
        EXPECT_NEAR(b.width, 2.0 * w / (n + 1), 1.0);
        EXPECT_NEAR(b.height, 2.0 * h / (n + 1), 1.0);
      }
      // Row by row; the last row and column end at the edges.
      EXPECT_EQ(boxes.front().x, 0);
      EXPECT_EQ(boxes.front().y, 0);
      EXPECT_EQ(boxes.back().x + boxes.back().width, w);
      EXPECT_EQ(boxes.back().y + boxes.back().height, h);
      EXPECT_GT(boxes[1].x, boxes[0].x);
      EXPECT_EQ(boxes[1].y, boxes[0].y);
      // Every region of 1/(n+1) of each side, anywhere, lies wholly inside some box.
      const int rw = w / (n + 1), rh = h / (n + 1);
      for (int y = 0; y + rh <= h; y += 7) {
        for (int x = 0; x + rw <= w; x += 7) {
          bool inside = std::any_of(boxes.begin(), boxes.end(), [&](const CropBox& b) {
            return x >= b.x && y >= b.y && x + rw <= b.x + b.width && y + rh <= b.y + b.height;
          });
          ASSERT_TRUE(inside) << "n=" << n << " region at " << x << "," << y;
        }
      }
    }
  }
}

TEST(CropGridTest, TinyImagesGetOnePixelBoxes) {
  for (int n = kMinCropGrid; n <= kMaxCropGrid; ++n) {
    for (const CropBox& b : CropGrid(1, 2, n)) {
      EXPECT_EQ(b.x, 0);
      EXPECT_EQ(b.width, 1);
      EXPECT_GE(b.height, 1);
      EXPECT_LE(b.y + b.height, 2);
    }
  }
}

TEST(CropGridTest, CropImageCopiesTheBoxPixels) {
  Image img;
  img.width = 7;
  img.height = 5;
  img.format = ImageFormat::kPng;
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      for (int c = 0; c < 3; ++c) img.rgb.push_back(static_cast<uint8_t>(y * 50 + x * 7 + c));
    }
  }
  CropBox box{2, 1, 4, 3};
  Image crop = CropImage(img, box);
  ASSERT_EQ(crop.width, 4);
  ASSERT_EQ(crop.height, 3);
  EXPECT_EQ(crop.format, ImageFormat::kPng);
  ASSERT_EQ(crop.rgb.size(), 4u * 3u * 3u);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 4; ++x) {
      for (int c = 0; c < 3; ++c) {
        EXPECT_EQ(crop.rgb[(y * 4 + x) * 3 + c], img.rgb[((y + 1) * 7 + x + 2) * 3 + c]);
      }
    }
  }
}

}  // namespace
}  // namespace lookalike::embed
