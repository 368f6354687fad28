// Small encoded test images made on the fly (OpenCV encoders, giflib for GIF) plus hand-made
// hostile headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lookalike::testing {

using Bytes = std::vector<uint8_t>;

/// A w×h RGB test pattern: red ramp left→right, green ramp top→bottom, blue constant 64.
std::vector<uint8_t> PatternRgb(int w, int h);

/// Encodes an RGB (3 channels) or RGBA (4 channels) buffer with OpenCV: ext ".png", ".jpg",
/// ".webp", ".bmp"; params as for cv::imencode.
Bytes Encode(const std::string& ext, const std::vector<uint8_t>& pixels, int w, int h, int channels,
             std::vector<int> params = {});

/// A GIF of `frames` frames (w×h, 4-colour palette, first frame = colour 1 = pure red), with
/// colour 0 transparent when `transparent`.
Bytes MakeGif(int w, int h, int frames, bool transparent);

/// A baseline CMYK JPEG with an Adobe marker: left half ink-free (white), right half full black
/// ink, stored inverted as Adobe applications do.
Bytes CmykJpeg(int w, int h);

/// A PNG consisting only of a valid signature and IHDR chunk claiming w×h (a "bomb" header).
Bytes PngHeaderOnly(uint32_t w, uint32_t h);

/// Inserts an APP1 EXIF segment with the given orientation right after SOI of a JPEG.
Bytes WithExifOrientation(const Bytes& jpeg, int orientation);
/// The PNG with an eXIf chunk carrying that orientation.
Bytes PngWithExifOrientation(const Bytes& png, int orientation);
/// A simple (VP8/VP8L) WebP of w×h turned into the extended format with an EXIF chunk.
Bytes WebpWithExifOrientation(const Bytes& webp, int w, int h, int orientation);

}  // namespace lookalike::testing
