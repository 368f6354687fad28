// Header parsing for the five supported formats: signature and dimensions only, so that an
// image bomb (a tiny file claiming 100k × 100k pixels) is refused before any decoder allocates.
// Every read is bounds-checked against the buffer; nothing here trusts a length field.
#include <cstdint>
#include <span>
#include <string>

#include "lookalike/embedder.h"

namespace lookalike {
namespace {

uint32_t Be16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t Be32(const uint8_t* p) { return (Be16(p) << 16) | Be16(p + 2); }
uint32_t Le16(const uint8_t* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8); }
uint32_t Le24(const uint8_t* p) { return Le16(p) | (uint32_t{p[2]} << 16); }
uint32_t Le32(const uint8_t* p) { return Le16(p) | (Le16(p + 2) << 16); }

bool StartsWith(std::span<const uint8_t> b, std::string_view sig, size_t at = 0) {
  if (b.size() < at + sig.size()) return false;
  for (size_t i = 0; i < sig.size(); ++i) {
    if (b[at + i] != static_cast<uint8_t>(sig[i])) return false;
  }
  return true;
}

Status Truncated(std::string_view what) {
  return Status::InvalidArgument(std::string("truncated or corrupt ") + std::string(what) +
                                 " header");
}

Result<ImageInfo> Make(ImageFormat format, uint64_t w, uint64_t h) {
  if (w == 0 || h == 0 || w > (1u << 30) || h > (1u << 30)) {
    return Status::InvalidArgument(std::string(ImageFormatName(format)) + " header gives size " +
                                   std::to_string(w) + "x" + std::to_string(h));
  }
  return ImageInfo{format, static_cast<int>(w), static_cast<int>(h)};
}

Result<ImageInfo> ProbePng(std::span<const uint8_t> b) {
  // 8-byte signature, then the IHDR chunk: length(4) "IHDR" width(4) height(4), big-endian.
  if (b.size() < 24 || !StartsWith(b, "IHDR", 12)) return Truncated("PNG");
  return Make(ImageFormat::kPng, Be32(&b[16]), Be32(&b[20]));
}

Result<ImageInfo> ProbeGif(std::span<const uint8_t> b) {
  // The logical screen size; giflib rejects frames that do not fit it only loosely, so the
  // decoder also checks the first frame's own size against the limit.
  if (b.size() < 10) return Truncated("GIF");
  return Make(ImageFormat::kGif, Le16(&b[6]), Le16(&b[8]));
}

Result<ImageInfo> ProbeBmp(std::span<const uint8_t> b) {
  if (b.size() < 26) return Truncated("BMP");
  uint32_t dib = Le32(&b[14]);
  if (dib == 12) return Make(ImageFormat::kBmp, Le16(&b[18]), Le16(&b[20]));  // OS/2 1.x
  if (dib < 40 || b.size() < 26) return Truncated("BMP");
  int32_t w = static_cast<int32_t>(Le32(&b[18]));
  int32_t h = static_cast<int32_t>(Le32(&b[22]));  // negative: rows stored top-down
  if (w <= 0 || h == INT32_MIN) return Truncated("BMP");
  return Make(ImageFormat::kBmp, static_cast<uint64_t>(w),
              static_cast<uint64_t>(h < 0 ? -static_cast<int64_t>(h) : h));
}

Result<ImageInfo> ProbeWebp(std::span<const uint8_t> b) {
  // RIFF <size> WEBP, then the first chunk: VP8 (lossy), VP8L (lossless) or VP8X (extended).
  if (b.size() < 30) return Truncated("WebP");
  if (StartsWith(b, "VP8X", 12)) {
    return Make(ImageFormat::kWebp, uint64_t{Le24(&b[24])} + 1, uint64_t{Le24(&b[27])} + 1);
  }
  if (StartsWith(b, "VP8L", 12)) {
    if (b[20] != 0x2f) return Truncated("WebP lossless");
    uint32_t bits = Le32(&b[21]);
    return Make(ImageFormat::kWebp, (bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
  }
  if (StartsWith(b, "VP8 ", 12)) {
    // Key frame: 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height.
    if (b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a) return Truncated("WebP lossy");
    return Make(ImageFormat::kWebp, Le16(&b[26]) & 0x3fff, Le16(&b[28]) & 0x3fff);
  }
  return Truncated("WebP");
}

Result<ImageInfo> ProbeJpeg(std::span<const uint8_t> b) {
  // Walk the marker segments after SOI until a start-of-frame marker, which holds the size.
  size_t pos = 2;
  while (true) {
    // Markers may be preceded by any number of 0xFF fill bytes.
    if (pos >= b.size() || b[pos] != 0xFF) return Truncated("JPEG");
    while (pos < b.size() && b[pos] == 0xFF) ++pos;
    if (pos >= b.size()) return Truncated("JPEG");
    uint8_t marker = b[pos++];
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (marker == 0xD9 || marker == 0xDA) return Truncated("JPEG");  // no frame before scan
    if (pos + 2 > b.size()) return Truncated("JPEG");
    uint32_t len = Be16(&b[pos]);
    if (len < 2 || pos + len > b.size()) return Truncated("JPEG");
    bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (len < 7) return Truncated("JPEG");
      // precision(1) height(2) width(2). Height 0 (DNL-defined) is not supported.
      return Make(ImageFormat::kJpeg, Be16(&b[pos + 5]), Be16(&b[pos + 3]));
    }
    pos += len;
  }
}

}  // namespace

std::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kPng:
      return "png";
    case ImageFormat::kGif:
      return "gif";
    case ImageFormat::kWebp:
      return "webp";
    case ImageFormat::kBmp:
      return "bmp";
    case ImageFormat::kUnknown:
      break;
  }
  return "unknown";
}

Result<ImageInfo> ProbeImage(std::span<const uint8_t> b) {
  if (b.empty()) return Status::InvalidArgument("empty file");
  if (StartsWith(b, "\xFF\xD8\xFF")) return ProbeJpeg(b);
  if (StartsWith(b, "\x89PNG\r\n\x1a\n")) return ProbePng(b);
  if (StartsWith(b, "GIF87a") || StartsWith(b, "GIF89a")) return ProbeGif(b);
  if (StartsWith(b, "RIFF") && StartsWith(b, "WEBP", 8)) return ProbeWebp(b);
  if (StartsWith(b, "BM")) return ProbeBmp(b);
  return Status::InvalidArgument("not an image in a supported format (JPEG, PNG, WebP, GIF, BMP)");
}

}  // namespace lookalike
