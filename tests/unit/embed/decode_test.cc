// Decoding: every supported format, colour handling, EXIF orientation, and the hostile inputs of
// issue 4 (corrupt, truncated, bombs, zero bytes, text named .jpg, 10,000-frame GIF).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "lookalike/embedder.h"
#include "test_images.h"

namespace lookalike {
namespace {

using testing::Bytes;

// Mean absolute difference between decoded RGB and the expected pattern.
double MeanAbsDiff(const Image& img, const std::vector<uint8_t>& want) {
  EXPECT_EQ(img.rgb.size(), want.size());
  if (img.rgb.size() != want.size()) return 1e9;
  double s = 0;
  for (size_t i = 0; i < want.size(); ++i) s += std::abs(int{img.rgb[i]} - int{want[i]});
  return s / want.size();
}

struct FormatCase {
  std::string ext;
  ImageFormat format;
  double tolerance;  // lossy formats differ a little
};

class DecodeFormatTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(DecodeFormatTest, DecodesPatternToRgb) {
  const FormatCase& c = GetParam();
  const int w = 37, h = 23;  // odd sizes catch stride mistakes
  std::vector<uint8_t> rgb = testing::PatternRgb(w, h);
  Bytes enc = testing::Encode(c.ext, rgb, w, h, 3);
  Result<ImageInfo> info = ProbeImage(enc);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->format, c.format);
  EXPECT_EQ(info->width, w);
  EXPECT_EQ(info->height, h);
  Result<Image> img = DecodeImage(enc);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->width, w);
  EXPECT_EQ(img->height, h);
  EXPECT_EQ(img->format, c.format);
  EXPECT_LE(MeanAbsDiff(*img, rgb), c.tolerance);
}

INSTANTIATE_TEST_SUITE_P(Formats, DecodeFormatTest,
                         ::testing::Values(FormatCase{".png", ImageFormat::kPng, 0.0},
                                           FormatCase{".bmp", ImageFormat::kBmp, 0.0},
                                           FormatCase{".jpg", ImageFormat::kJpeg, 6.0},
                                           FormatCase{".webp", ImageFormat::kWebp, 6.0}),
                         [](const auto& info) { return info.param.ext.substr(1); });

TEST(DecodeTest, LosslessWebp) {
  std::vector<uint8_t> rgb = testing::PatternRgb(16, 9);
  Bytes enc = testing::Encode(".webp", rgb, 16, 9, 3, {64 /*IMWRITE_WEBP_QUALITY*/, 101});
  Result<Image> img = DecodeImage(enc);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(MeanAbsDiff(*img, rgb), 0.0);
}

TEST(DecodeTest, GrayscalePngBecomesRgb) {
  std::vector<uint8_t> gray(8 * 4);
  for (size_t i = 0; i < gray.size(); ++i) gray[i] = static_cast<uint8_t>(i * 7);
  Result<Image> img = DecodeImage(testing::Encode(".png", gray, 8, 4, 1));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  ASSERT_EQ(img->rgb.size(), 8u * 4 * 3);
  for (size_t i = 0; i < gray.size(); ++i) {
    EXPECT_EQ(img->rgb[3 * i], gray[i]);
    EXPECT_EQ(img->rgb[3 * i + 1], gray[i]);
    EXPECT_EQ(img->rgb[3 * i + 2], gray[i]);
  }
}

TEST(DecodeTest, AlphaIsCompositedOverWhite) {
  // Opaque red, fully transparent black, half-transparent black.
  std::vector<uint8_t> rgba = {255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128};
  Result<Image> img = DecodeImage(testing::Encode(".png", rgba, 3, 1, 4));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->rgb, (std::vector<uint8_t>{255, 0, 0, 255, 255, 255, 127, 127, 127}));
}

TEST(DecodeTest, SixteenBitPngIsScaledTo8Bit) {
  cv::Mat m(2, 2, CV_16UC3, cv::Scalar(65535, 32896, 0));  // BGR
  std::vector<uint8_t> enc;
  ASSERT_TRUE(cv::imencode(".png", m, enc));
  Result<Image> img = DecodeImage(enc);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->rgb[0], 0);    // R
  EXPECT_EQ(img->rgb[1], 128);  // G
  EXPECT_EQ(img->rgb[2], 255);  // B
}

TEST(DecodeTest, GifFirstFrameWithTransparency) {
  Bytes gif = testing::MakeGif(10, 4, 3, /*transparent=*/true);
  Result<ImageInfo> info = ProbeImage(gif);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->format, ImageFormat::kGif);
  Result<Image> img = DecodeImage(gif);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  ASSERT_EQ(img->width, 10);
  ASSERT_EQ(img->height, 4);
  // Left half red (frame 0), right half transparent → white; frame 1 (green) never shows.
  const uint8_t* left = &img->rgb[0];
  const uint8_t* right = &img->rgb[9 * 3];
  EXPECT_EQ(std::vector<uint8_t>(left, left + 3), (std::vector<uint8_t>{255, 0, 0}));
  EXPECT_EQ(std::vector<uint8_t>(right, right + 3), (std::vector<uint8_t>{255, 255, 255}));
}

TEST(DecodeTest, GifWithTenThousandFramesDecodesFirstOnly) {
  Bytes gif = testing::MakeGif(2, 2, 10000, false);
  Result<Image> img = DecodeImage(gif);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->rgb[0], 255);  // frame 0 colour 1 = red
  EXPECT_EQ(img->rgb[1], 0);
}

TEST(DecodeTest, ExifOrientationIsApplied) {
  const int w = 40, h = 16;
  std::vector<uint8_t> rgb = testing::PatternRgb(w, h);
  Bytes jpeg = testing::Encode(".jpg", rgb, w, h, 3, {1 /*IMWRITE_JPEG_QUALITY*/, 95});
  Bytes rotated = testing::WithExifOrientation(jpeg, 6);  // 90° clockwise
  Result<ImageInfo> info = ProbeImage(rotated);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->width, w);  // the header describes the stored pixels
  Result<Image> img = DecodeImage(rotated);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->width, h);
  EXPECT_EQ(img->height, w);
  // Rotated clockwise: the stored top row (green = 0) is now the right column. The stored left
  // column (red = 0) is now the top row, so the top-left pixel has red ≈ 0 and green ≈ 255.
  EXPECT_LT(img->rgb[0], 40);
  EXPECT_GT(img->rgb[1], 215);
}

// PNG and WebP carry EXIF in their own chunks; every orientation maps the stored corners the
// way the EXIF specification says, checked on the pixel that lands top-left.
TEST(DecodeTest, ExifOrientationInPngAndWebp) {
  const int w = 40, h = 16;
  std::vector<uint8_t> rgb = testing::PatternRgb(w, h);
  Bytes png = testing::Encode(".png", rgb, w, h, 3, {});
  Bytes webp = testing::Encode(".webp", rgb, w, h, 3, {64 /*IMWRITE_WEBP_QUALITY*/, 101});
  Result<Image> plain = DecodeImage(png);
  ASSERT_TRUE(plain.ok());
  auto at = [](const Image& img, int x, int y) {
    const uint8_t* p = &img.rgb[(static_cast<size_t>(y) * img.width + x) * 3];
    return std::array<int, 3>{p[0], p[1], p[2]};
  };
  // Which stored pixel becomes the visual top-left, per orientation 1..8.
  const std::array<std::pair<int, int>, 8> source = {{{0, 0}, {w - 1, 0}, {w - 1, h - 1},
                                                      {0, h - 1}, {0, 0}, {0, h - 1},
                                                      {w - 1, h - 1}, {w - 1, 0}}};
  for (int o = 1; o <= 8; ++o) {
    for (const Bytes& tagged : {testing::PngWithExifOrientation(png, o),
                                testing::WebpWithExifOrientation(webp, w, h, o)}) {
      Result<Image> img = DecodeImage(tagged);
      ASSERT_TRUE(img.ok()) << o << " " << img.status().ToString();
      bool swapped = o >= 5;
      EXPECT_EQ(img->width, swapped ? h : w) << o;
      EXPECT_EQ(img->height, swapped ? w : h) << o;
      auto want = at(*plain, source[o - 1].first, source[o - 1].second);
      auto got = at(*img, 0, 0);
      for (int c = 0; c < 3; ++c) EXPECT_NEAR(got[c], want[c], 12) << "orientation " << o;
    }
  }
}

TEST(DecodeTest, GrayscaleJpegBecomesRgb) {
  std::vector<uint8_t> gray(6 * 6, 200);
  Result<Image> img = DecodeImage(testing::Encode(".jpg", gray, 6, 6, 1));
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->rgb.size(), 6u * 6 * 3);
  EXPECT_NEAR(img->rgb[0], 200, 2);
  EXPECT_EQ(img->rgb[0], img->rgb[2]);
}

TEST(DecodeTest, CmykJpegIsConverted) {
  // Left half "white" and right half "black" in Adobe (inverted) CMYK, as Photoshop writes it.
  Bytes jpeg = testing::CmykJpeg(16, 8);
  Result<Image> img = DecodeImage(jpeg);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  ASSERT_EQ(img->width, 16);
  ASSERT_EQ(img->rgb.size(), 16u * 8 * 3);
  const uint8_t* left = &img->rgb[(4 * 16 + 2) * 3];
  const uint8_t* right = &img->rgb[(4 * 16 + 13) * 3];
  for (int c = 0; c < 3; ++c) {
    EXPECT_GT(left[c], 200) << c;
    EXPECT_LT(right[c], 60) << c;
  }
}

// ---- bad input ----

TEST(DecodeBadInputTest, ZeroBytes) {
  Result<Image> img = DecodeImage(Bytes{});
  ASSERT_FALSE(img.ok());
  EXPECT_TRUE(img.status().IsInvalidArgument());
}

// Fuzz finding (image_decode, tests/regress/fuzz/image_decode/): giflib fails the image
// descriptor of this 4x4 GIF (a 0xdbdb x 0xdbdb frame) without setting an error code, and
// GifErrorString returns NULL for it; the error text was built from that NULL.
TEST(DecodeBadInputTest, GifDescriptorErrorWithoutGiflibMessage) {
  const Bytes gif = {
      0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x04, 0x00, 0x04, 0x00, 0x91, 0x00, 0x00, 0x00, 0x00,
      0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00,
      0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0xdb, 0xdb, 0xdb, 0xdb, 0xdb, 0x04, 0xff,
      0xff, 0xff, 0x7a, 0xff, 0xff, 0xff, 0x32, 0x00, 0x04, 0x00, 0x00, 0x02, 0x06, 0x4c, 0x00,
      0x86, 0x9a, 0x07, 0x05, 0x00, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00,
      0x00, 0x00, 0x00, 0x04, 0x00, 0x04, 0x00, 0x00, 0x02, 0x04, 0x94, 0x8f, 0x29, 0x05, 0x00,
      0x3b};
  Result<Image> img = DecodeImage(gif);
  ASSERT_FALSE(img.ok());
  EXPECT_FALSE(img.status().message().empty());
}

TEST(DecodeBadInputTest, TextNamedJpg) {
  std::string text = "this is not an image, just text in a file called photo.jpg\n";
  Result<Image> img = DecodeImage(Bytes(text.begin(), text.end()));
  ASSERT_FALSE(img.ok());
  EXPECT_TRUE(img.status().IsInvalidArgument());
  EXPECT_NE(img.status().message().find("not an image"), std::string::npos);
}

TEST(DecodeBadInputTest, PngBombHeaderRefusedBeforeDecoding) {
  Bytes bomb = testing::PngHeaderOnly(100000, 100000);
  Result<ImageInfo> info = ProbeImage(bomb);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->width, 100000);
  Result<Image> img = DecodeImage(bomb);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(img.status().message().find("10000000000 pixels"), std::string::npos);
}

TEST(DecodeBadInputTest, PixelLimitIsConfigurable) {
  std::vector<uint8_t> rgb = testing::PatternRgb(20, 10);
  Bytes png = testing::Encode(".png", rgb, 20, 10, 3);
  DecodeLimits limits;
  limits.max_pixels = 199;
  EXPECT_EQ(DecodeImage(png, limits).status().code(), StatusCode::kResourceExhausted);
  limits.max_pixels = 200;
  EXPECT_TRUE(DecodeImage(png, limits).ok());
  limits.max_file_bytes = png.size() - 1;
  EXPECT_EQ(DecodeImage(png, limits).status().code(), StatusCode::kResourceExhausted);
}

TEST(DecodeBadInputTest, GifBombRefused) {
  Bytes gif = testing::MakeGif(4, 4, 1, false);
  gif[6] = gif[7] = gif[8] = gif[9] = 0xff;  // logical screen 65535 × 65535
  EXPECT_EQ(DecodeImage(gif).status().code(), StatusCode::kResourceExhausted);
}

TEST(DecodeBadInputTest, TruncatedFilesOfEveryFormat) {
  std::vector<uint8_t> rgb = testing::PatternRgb(64, 48);
  std::vector<Bytes> files = {
      testing::Encode(".png", rgb, 64, 48, 3), testing::Encode(".jpg", rgb, 64, 48, 3),
      testing::Encode(".webp", rgb, 64, 48, 3), testing::Encode(".bmp", rgb, 64, 48, 3),
      testing::MakeGif(64, 48, 1, false)};
  for (const Bytes& f : files) {
    // Every prefix length must give an error or a correctly sized image — never a crash.
    for (size_t n :
         {size_t{1}, size_t{3}, size_t{8}, size_t{16}, size_t{30}, f.size() / 2, f.size() - 1}) {
      Bytes cut(f.begin(), f.begin() + std::min(n, f.size()));
      Result<Image> img = DecodeImage(cut);
      if (img.ok()) {
        EXPECT_EQ(img->rgb.size(), static_cast<size_t>(img->width) * img->height * 3);
      } else {
        EXPECT_TRUE(img.status().IsInvalidArgument()) << img.status().ToString();
      }
    }
  }
}

TEST(DecodeBadInputTest, CorruptJpegBody) {
  std::vector<uint8_t> rgb = testing::PatternRgb(64, 64);
  Bytes jpeg = testing::Encode(".jpg", rgb, 64, 64, 3);
  // Overwrite the middle of the file with garbage, keeping the headers.
  uint32_t seed = 12345;
  for (size_t i = jpeg.size() / 3; i < jpeg.size() - 2; ++i) {
    seed = seed * 1103515245u + 12345u;
    jpeg[i] = static_cast<uint8_t>(seed >> 16);
  }
  Result<Image> img = DecodeImage(jpeg);
  if (img.ok()) {
    EXPECT_EQ(img->width, 64);  // libjpeg may recover; then the size must still be right
  } else {
    EXPECT_TRUE(img.status().IsInvalidArgument());
  }
}

TEST(DecodeBadInputTest, JpegWithoutFrameHeader) {
  Bytes b = {0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x00, 0x00};
  EXPECT_TRUE(ProbeImage(b).status().IsInvalidArgument());
  Bytes loop = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00};  // length 0 must not loop forever
  EXPECT_TRUE(ProbeImage(loop).status().IsInvalidArgument());
}

TEST(DecodeBadInputTest, ZeroSizedHeaders) {
  EXPECT_TRUE(DecodeImage(testing::PngHeaderOnly(0, 10)).status().IsInvalidArgument());
  Bytes bmp = testing::Encode(".bmp", testing::PatternRgb(4, 4), 4, 4, 3);
  bmp[18] = bmp[19] = bmp[20] = bmp[21] = 0;  // width 0
  EXPECT_TRUE(DecodeImage(bmp).status().IsInvalidArgument());
}

TEST(DecodeBadInputTest, FilesOnDisk) {
  std::string dir = ::testing::TempDir() + "/lookalike_decode_test";
  std::filesystem::create_directories(dir);
  std::string empty = dir + "/empty.jpg";
  std::ofstream(empty).close();
  EXPECT_TRUE(DecodeImageFile(empty).status().IsInvalidArgument());
  EXPECT_EQ(DecodeImageFile(dir + "/missing.png").status().code(), StatusCode::kIOError);
  EXPECT_TRUE(DecodeImageFile(dir).status().IsInvalidArgument());  // a directory
  std::string big = dir + "/big.png";
  {
    std::ofstream f(big, std::ios::binary);
    Bytes png = testing::Encode(".png", testing::PatternRgb(8, 8), 8, 8, 3);
    f.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  }
  DecodeLimits limits;
  limits.max_file_bytes = 10;
  Status st = DecodeImageFile(big, limits).status();
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find(big), std::string::npos);  // errors name the file
  EXPECT_TRUE(DecodeImageFile(big).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lookalike
