#include "embed/exif_orientation.h"

#include <cstring>

namespace lookalike::embed {
namespace {

uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
uint32_t Le32(const uint8_t* p) {
  return uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0];
}

}  // namespace

int TiffOrientation(std::span<const uint8_t> tiff) {
  if (tiff.size() >= 6 && std::memcmp(tiff.data(), "Exif\0\0", 6) == 0) tiff = tiff.subspan(6);
  if (tiff.size() < 8) return 1;
  bool little;
  if (tiff[0] == 'I' && tiff[1] == 'I') {
    little = true;
  } else if (tiff[0] == 'M' && tiff[1] == 'M') {
    little = false;
  } else {
    return 1;
  }
  auto u16 = [&](size_t at) -> uint32_t {
    return little ? uint32_t{tiff[at]} | uint32_t{tiff[at + 1]} << 8
                  : uint32_t{tiff[at]} << 8 | uint32_t{tiff[at + 1]};
  };
  auto u32 = [&](size_t at) { return little ? Le32(&tiff[at]) : Be32(&tiff[at]); };
  if (u16(2) != 42) return 1;
  size_t ifd = u32(4);
  if (ifd > tiff.size() || tiff.size() - ifd < 2) return 1;
  size_t entries = u16(ifd);
  for (size_t i = 0; i < entries; ++i) {
    size_t at = ifd + 2 + i * 12;
    if (at + 12 > tiff.size()) return 1;
    if (u16(at) != 0x0112) continue;
    if (u16(at + 2) != 3 || u32(at + 4) != 1) return 1;  // SHORT, one value
    uint32_t value = u16(at + 8);
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

int ContainerExifOrientation(std::span<const uint8_t> bytes, ImageFormat format) {
  if (format == ImageFormat::kPng) {
    // Signature, then chunks: u32 length (big-endian), type, data, CRC.
    size_t pos = 8;
    while (pos + 8 <= bytes.size()) {
      size_t len = Be32(&bytes[pos]);
      const uint8_t* type = &bytes[pos + 4];
      if (len > bytes.size() - pos - 8) return 1;
      if (std::memcmp(type, "eXIf", 4) == 0) return TiffOrientation(bytes.subspan(pos + 8, len));
      if (std::memcmp(type, "IEND", 4) == 0) return 1;
      pos += 8 + len + 4;
    }
    return 1;
  }
  if (format == ImageFormat::kWebp) {
    // "RIFF" u32 "WEBP", then chunks: fourcc, u32 size (little-endian), data, pad to even.
    size_t pos = 12;
    while (pos + 8 <= bytes.size()) {
      size_t len = Le32(&bytes[pos + 4]);
      if (len > bytes.size() - pos - 8) return 1;
      if (std::memcmp(&bytes[pos], "EXIF", 4) == 0) {
        return TiffOrientation(bytes.subspan(pos + 8, len));
      }
      pos += 8 + len + (len & 1);
    }
    return 1;
  }
  return 1;
}

}  // namespace lookalike::embed
