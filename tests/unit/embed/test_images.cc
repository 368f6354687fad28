#include "test_images.h"

#include <gif_lib.h>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace lookalike::testing {

std::vector<uint8_t> PatternRgb(int w, int h) {
  std::vector<uint8_t> p(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* px = &p[(static_cast<size_t>(y) * w + x) * 3];
      px[0] = static_cast<uint8_t>(w > 1 ? 255 * x / (w - 1) : 0);
      px[1] = static_cast<uint8_t>(h > 1 ? 255 * y / (h - 1) : 0);
      px[2] = 64;
    }
  }
  return p;
}

Bytes Encode(const std::string& ext, const std::vector<uint8_t>& pixels, int w, int h, int channels,
             std::vector<int> params) {
  cv::Mat src(h, w,
              channels == 4   ? CV_8UC4
              : channels == 3 ? CV_8UC3
                              : CV_8UC1,
              const_cast<uint8_t*>(pixels.data()));
  cv::Mat bgr;
  if (channels == 3) {
    cv::cvtColor(src, bgr, cv::COLOR_RGB2BGR);
  } else if (channels == 4) {
    cv::cvtColor(src, bgr, cv::COLOR_RGBA2BGRA);
  } else {
    bgr = src;
  }
  std::vector<uint8_t> out;
  if (!cv::imencode(ext, bgr, out, params)) throw std::runtime_error("imencode " + ext);
  return out;
}

namespace {
int GifWrite(GifFileType* gif, const GifByteType* data, int n) {
  auto* out = static_cast<Bytes*>(gif->UserData);
  out->insert(out->end(), data, data + n);
  return n;
}
}  // namespace

Bytes MakeGif(int w, int h, int frames, bool transparent) {
  Bytes out;
  int err = 0;
  GifFileType* gif = EGifOpen(&out, GifWrite, &err);
  if (gif == nullptr) throw std::runtime_error("EGifOpen");
  GifColorType colors[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
  ColorMapObject* cmap = GifMakeMapObject(4, colors);
  EGifSetGifVersion(gif, true);
  EGifPutScreenDesc(gif, w, h, 2, 0, cmap);
  std::vector<GifPixelType> line(w);
  for (int f = 0; f < frames; ++f) {
    if (transparent) {
      GraphicsControlBlock gcb{};
      gcb.TransparentColor = 0;
      GifByteType ext[4];
      size_t len = EGifGCBToExtension(&gcb, ext);
      EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(len), ext);
    }
    EGifPutImageDesc(gif, 0, 0, w, h, false, nullptr);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        // Frame 0: left half colour 1 (red), right half colour 0; later frames colour 2.
        line[x] = f == 0 ? (x < w / 2 ? 1 : 0) : 2;
      }
      EGifPutLine(gif, line.data(), w);
    }
  }
  EGifCloseFile(gif, &err);
  GifFreeMapObject(cmap);
  return out;
}

namespace {
void PutBe32(Bytes* b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b->push_back(static_cast<uint8_t>(v >> s));
}
uint32_t Crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
  }
  return c ^ 0xffffffffu;
}
}  // namespace

Bytes CmykJpeg(int w, int h) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* mem = nullptr;
  unsigned long mem_size = 0;
  jpeg_mem_dest(&cinfo, &mem, &mem_size);
  cinfo.image_width = w;
  cinfo.image_height = h;
  cinfo.input_components = 4;
  cinfo.in_color_space = JCS_CMYK;
  jpeg_set_defaults(&cinfo);
  jpeg_set_colorspace(&cinfo, JCS_CMYK);  // also writes the Adobe marker
  jpeg_set_quality(&cinfo, 95, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  std::vector<uint8_t> row(static_cast<size_t>(w) * 4);
  for (int x = 0; x < w; ++x) {
    // Inverted: 255 = no ink. Right half: K ink full (stored 0).
    uint8_t k = x < w / 2 ? 255 : 0;
    row[4 * x] = row[4 * x + 1] = row[4 * x + 2] = 255;
    row[4 * x + 3] = k;
  }
  for (int y = 0; y < h; ++y) {
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&cinfo, &r, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  Bytes out(mem, mem + mem_size);
  std::free(mem);
  return out;
}

Bytes PngHeaderOnly(uint32_t w, uint32_t h) {
  Bytes b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  PutBe32(&b, 13);
  size_t type_at = b.size();
  b.insert(b.end(), {'I', 'H', 'D', 'R'});
  PutBe32(&b, w);
  PutBe32(&b, h);
  b.insert(b.end(), {8, 2, 0, 0, 0});  // 8-bit RGB
  PutBe32(&b, Crc32(&b[type_at], b.size() - type_at));
  // An IDAT that would inflate to gigabytes is not needed: the header alone must be refused.
  return b;
}

namespace {
// Little-endian TIFF header, IFD0 with one entry (0x0112, SHORT, count 1, value), no next IFD.
Bytes ExifTiff(int orientation) {
  return {'I', 'I', 42, 0, 8, 0, 0, 0,                  // header, IFD at offset 8
          1,   0,                                       // one entry
          0x12, 0x01, 3, 0, 1, 0, 0, 0,                 // tag 0x0112, SHORT, count 1
          static_cast<uint8_t>(orientation), 0, 0, 0,   // value
          0,   0,   0,  0};                             // no next IFD
}

void PutLe32(Bytes* b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
}  // namespace

Bytes WithExifOrientation(const Bytes& jpeg, int orientation) {
  // APP1: "Exif\0\0" + TIFF, right after SOI.
  Bytes tiff = ExifTiff(orientation);
  Bytes app1 = {'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), tiff.begin(), tiff.end());
  size_t len = app1.size() + 2;
  Bytes out = {
      0xFF, 0xD8, 0xFF, 0xE1, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len & 0xff)};
  out.insert(out.end(), app1.begin(), app1.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

Bytes PngWithExifOrientation(const Bytes& png, int orientation) {
  // An eXIf chunk right after IHDR (signature 8 + IHDR 25 bytes).
  Bytes tiff = ExifTiff(orientation);
  Bytes out(png.begin(), png.begin() + 33);
  PutBe32(&out, static_cast<uint32_t>(tiff.size()));
  size_t type_at = out.size();
  out.insert(out.end(), {'e', 'X', 'I', 'f'});
  out.insert(out.end(), tiff.begin(), tiff.end());
  PutBe32(&out, Crc32(&out[type_at], out.size() - type_at));
  out.insert(out.end(), png.begin() + 33, png.end());
  return out;
}

Bytes WebpWithExifOrientation(const Bytes& webp, int w, int h, int orientation) {
  // Simple WebP → extended: VP8X (EXIF flag, canvas size), the image chunk, an EXIF chunk.
  Bytes body = {'W', 'E', 'B', 'P', 'V', 'P', '8', 'X'};
  PutLe32(&body, 10);
  body.insert(body.end(), {0x08, 0, 0, 0});
  for (int v : {w - 1, h - 1}) {
    for (int i = 0; i < 3; ++i) body.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  body.insert(body.end(), webp.begin() + 12, webp.end());
  Bytes tiff = ExifTiff(orientation);
  body.insert(body.end(), {'E', 'X', 'I', 'F'});
  PutLe32(&body, static_cast<uint32_t>(tiff.size()));
  body.insert(body.end(), tiff.begin(), tiff.end());
  if (tiff.size() & 1) body.push_back(0);
  Bytes out = {'R', 'I', 'F', 'F'};
  PutLe32(&out, static_cast<uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace lookalike::testing
