// EXIF orientation for the formats whose decoders leave it to us. OpenCV applies the JPEG
// (APP1) tag itself under IMREAD_COLOR; PNG (the "eXIf" chunk, PNG 1.5) and WebP (the RIFF
// "EXIF" chunk) are decoded with IMREAD_UNCHANGED to keep alpha, which ignores EXIF, so the
// tag is read here and applied to the decoded pixels.
#pragma once

#include <cstdint>
#include <span>

#include "lookalike/embedder.h"

namespace lookalike::embed {

/// The orientation tag (1..8) of a TIFF/EXIF block (optionally prefixed by "Exif\0\0"): IFD0's
/// tag 0x0112. 1 (as stored) when absent, out of range or when the block is malformed.
int TiffOrientation(std::span<const uint8_t> tiff);

/// The EXIF orientation stored in a PNG or WebP file; 1 for other formats or when none.
/// Walks the container's chunks without trusting their lengths beyond the buffer.
int ContainerExifOrientation(std::span<const uint8_t> bytes, ImageFormat format);

}  // namespace lookalike::embed
