// Image decoding (src/embed): signature sniffing and header probing (ProbeImage), then the full
// decode of JPEG, PNG, WebP, GIF and BMP with EXIF orientation, palette/alpha/CMYK conversion,
// under small decode limits so that the "too many pixels" refusal is reachable; accepted images
// are also encoded as a thumbnail. Input: the file bytes.
#include <cstdint>
#include <span>

#include "lookalike/embedder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  (void)lookalike::ProbeImage(bytes);
  lookalike::DecodeLimits limits;
  limits.max_pixels = 1 << 20;  // 4 MB of RGB at most per input
  limits.max_file_bytes = 1 << 20;
  auto image = lookalike::DecodeImage(bytes, limits);
  if (image.ok() && image->width <= 256 && image->height <= 256) {
    (void)lookalike::EncodeThumbnailJpeg(*image, 16);
  }
  return 0;
}
