// Decoding to 8-bit RGB: OpenCV imgcodecs for JPEG, PNG, WebP and BMP; giflib for GIF, which
// OpenCV 4.6 cannot read. The format is taken from ProbeImage (the signature), so only these five
// decoders are ever reached — OpenCV's other codecs (TIFF, EXR, PFM, ...) are not attack surface.
#include <gif_lib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "embed/exif_orientation.h"
#include "lookalike/embedder.h"

namespace lookalike {
namespace {

Status Undecodable(ImageFormat f, std::string_view why) {
  return Status::InvalidArgument("cannot decode " + std::string(ImageFormatName(f)) +
                                 " image: " + std::string(why));
}

Status TooManyPixels(uint64_t w, uint64_t h, uint64_t max) {
  return Status::ResourceExhausted("image is " + std::to_string(w) + "x" + std::to_string(h) +
                                   " = " + std::to_string(w * h) + " pixels, over the limit of " +
                                   std::to_string(max));
}

// Straight alpha over a white page.
cv::Mat CompositeOverWhite(const cv::Mat& bgra) {
  cv::Mat out(bgra.rows, bgra.cols, CV_8UC3);
  for (int y = 0; y < bgra.rows; ++y) {
    const uint8_t* s = bgra.ptr<uint8_t>(y);
    uint8_t* d = out.ptr<uint8_t>(y);
    for (int x = 0; x < bgra.cols; ++x, s += 4, d += 3) {
      uint32_t a = s[3];
      for (int c = 0; c < 3; ++c)
        d[c] = static_cast<uint8_t>((s[c] * a + 255 * (255 - a) + 127) / 255);
    }
  }
  return out;
}

// EXIF orientation 1..8 (TIFF 6.0 / EXIF 2.3): which stored corner is the visual top-left.
void ApplyOrientation(cv::Mat* m, int orientation) {
  switch (orientation) {
    case 2: cv::flip(*m, *m, 1); break;                     // mirrored
    case 3: cv::rotate(*m, *m, cv::ROTATE_180); break;
    case 4: cv::flip(*m, *m, 0); break;                     // mirrored upside down
    case 5: cv::transpose(*m, *m); break;                   // mirrored, 90° counter-clockwise
    case 6: cv::rotate(*m, *m, cv::ROTATE_90_CLOCKWISE); break;
    case 7:                                                 // mirrored, 90° clockwise
      cv::transpose(*m, *m);
      cv::rotate(*m, *m, cv::ROTATE_180);
      break;
    case 8: cv::rotate(*m, *m, cv::ROTATE_90_COUNTERCLOCKWISE); break;
    default: break;
  }
}

Image ToImage(const cv::Mat& bgr, ImageFormat format) {
  Image img;
  img.width = bgr.cols;
  img.height = bgr.rows;
  img.format = format;
  img.rgb.resize(static_cast<size_t>(bgr.cols) * bgr.rows * 3);
  cv::Mat rgb(bgr.rows, bgr.cols, CV_8UC3, img.rgb.data());
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return img;
}

Result<Image> DecodeWithOpenCv(std::span<const uint8_t> bytes, ImageFormat format) {
  // JPEG and BMP: IMREAD_COLOR applies EXIF orientation and converts grey/CMYK. PNG and WebP:
  // IMREAD_UNCHANGED keeps alpha so it can be composited; it ignores EXIF, so their (rare)
  // orientation tag is applied below.
  bool keep_alpha = format == ImageFormat::kPng || format == ImageFormat::kWebp;
  cv::Mat m;
  try {
    const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1,
                      const_cast<uint8_t*>(bytes.data()));
    m = cv::imdecode(buf, keep_alpha ? cv::IMREAD_UNCHANGED : cv::IMREAD_COLOR);
    if (m.empty()) return Undecodable(format, "corrupt or truncated data");
    if (m.depth() == CV_16U) {
      m.convertTo(m, CV_8U, 1.0 / 257.0);
    } else if (m.depth() != CV_8U) {
      return Undecodable(format, "unsupported sample type");
    }
    switch (m.channels()) {
      case 1:
        cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
        break;
      case 2: {
        // Grey + alpha: expand grey, keep alpha.
        std::vector<cv::Mat> ga;
        cv::split(m, ga);
        cv::merge(std::vector<cv::Mat>{ga[0], ga[0], ga[0], ga[1]}, m);
        m = CompositeOverWhite(m);
        break;
      }
      case 3:
        break;
      case 4:
        m = CompositeOverWhite(m);
        break;
      default:
        return Undecodable(format, "unsupported channel count");
    }
    if (keep_alpha) ApplyOrientation(&m, embed::ContainerExifOrientation(bytes, format));
    return ToImage(m, format);
  } catch (const cv::Exception& e) {
    return Undecodable(format, e.what());
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory decoding image");
  }
}

// giflib's GifErrorString returns NULL for codes it does not know (DGifGetImageDesc can fail
// with Error left at 0), and a string_view made from NULL is undefined behaviour.
const char* GifErrorText(int code) {
  const char* text = GifErrorString(code);
  return text != nullptr ? text : "corrupt GIF data";
}

struct GifSource {
  std::span<const uint8_t> bytes;
  size_t pos = 0;
};

int GifRead(GifFileType* gif, GifByteType* dst, int n) {
  auto* src = static_cast<GifSource*>(gif->UserData);
  size_t take = std::min(static_cast<size_t>(std::max(n, 0)), src->bytes.size() - src->pos);
  std::memcpy(dst, src->bytes.data() + src->pos, take);
  src->pos += take;
  return static_cast<int>(take);
}

// Reads records up to the first image only, so a GIF with 10,000 frames costs one frame.
Result<Image> DecodeGif(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  GifSource src{bytes};
  int err = 0;
  GifFileType* gif = DGifOpen(&src, GifRead, &err);
  if (gif == nullptr) return Undecodable(ImageFormat::kGif, GifErrorText(err));
  struct Closer {
    GifFileType* g;
    ~Closer() {
      int e = 0;
      DGifCloseFile(g, &e);
    }
  } closer{gif};

  int transparent = -1;
  while (true) {
    GifRecordType type;
    if (DGifGetRecordType(gif, &type) == GIF_ERROR) {
      return Undecodable(ImageFormat::kGif, GifErrorText(gif->Error));
    }
    if (type == TERMINATE_RECORD_TYPE) return Undecodable(ImageFormat::kGif, "no image frame");
    if (type == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* ext = nullptr;
      if (DGifGetExtension(gif, &code, &ext) == GIF_ERROR) {
        return Undecodable(ImageFormat::kGif, GifErrorText(gif->Error));
      }
      if (code == GRAPHICS_EXT_FUNC_CODE && ext != nullptr && ext[0] >= 4) {
        GraphicsControlBlock gcb;
        if (DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK) {
          transparent = gcb.TransparentColor;
        }
      }
      while (ext != nullptr) {
        if (DGifGetExtensionNext(gif, &ext) == GIF_ERROR) {
          return Undecodable(ImageFormat::kGif, GifErrorText(gif->Error));
        }
      }
      continue;
    }
    if (type != IMAGE_DESC_RECORD_TYPE) continue;
    if (DGifGetImageDesc(gif) == GIF_ERROR) {
      return Undecodable(ImageFormat::kGif, GifErrorText(gif->Error));
    }
    const GifImageDesc& d = gif->Image;
    uint64_t fw = static_cast<uint64_t>(std::max(d.Width, 0));
    uint64_t fh = static_cast<uint64_t>(std::max(d.Height, 0));
    if (fw == 0 || fh == 0 || d.Left < 0 || d.Top < 0) {
      return Undecodable(ImageFormat::kGif, "bad frame geometry");
    }
    if (fw * fh > limits.max_pixels) return TooManyPixels(fw, fh, limits.max_pixels);
    // The canvas is the logical screen, grown to hold the frame when a file lies about it.
    int cw = std::max(gif->SWidth, d.Left + d.Width);
    int ch = std::max(gif->SHeight, d.Top + d.Height);
    if (static_cast<uint64_t>(cw) * ch > limits.max_pixels) {
      return TooManyPixels(cw, ch, limits.max_pixels);
    }
    const ColorMapObject* cmap = d.ColorMap ? d.ColorMap : gif->SColorMap;
    if (cmap == nullptr) return Undecodable(ImageFormat::kGif, "no colour map");
    std::vector<GifPixelType> idx(fw * fh);
    if (d.Interlace) {
      static constexpr int kStart[4] = {0, 4, 2, 1}, kStep[4] = {8, 8, 4, 2};
      for (int pass = 0; pass < 4; ++pass) {
        for (int y = kStart[pass]; y < d.Height; y += kStep[pass]) {
          if (DGifGetLine(gif, &idx[static_cast<size_t>(y) * fw], d.Width) == GIF_ERROR) {
            return Undecodable(ImageFormat::kGif, GifErrorText(gif->Error));
          }
        }
      }
    } else if (DGifGetLine(gif, idx.data(), static_cast<int>(fw * fh)) == GIF_ERROR) {
      return Undecodable(ImageFormat::kGif, GifErrorText(gif->Error));
    }
    Image img;
    img.width = cw;
    img.height = ch;
    img.format = ImageFormat::kGif;
    img.rgb.assign(static_cast<size_t>(cw) * ch * 3, 255);  // transparent areas: white page
    for (int y = 0; y < d.Height; ++y) {
      for (int x = 0; x < d.Width; ++x) {
        int v = idx[static_cast<size_t>(y) * fw + x];
        if (v == transparent || v >= cmap->ColorCount) continue;
        uint8_t* p = &img.rgb[(static_cast<size_t>(d.Top + y) * cw + d.Left + x) * 3];
        p[0] = cmap->Colors[v].Red;
        p[1] = cmap->Colors[v].Green;
        p[2] = cmap->Colors[v].Blue;
      }
    }
    return img;
  }
}

}  // namespace

Result<Image> DecodeImage(std::span<const uint8_t> bytes, const DecodeLimits& limits) {
  if (bytes.size() > limits.max_file_bytes) {
    return Status::ResourceExhausted("file is " + std::to_string(bytes.size()) +
                                     " bytes, over the limit of " +
                                     std::to_string(limits.max_file_bytes));
  }
  LOOKALIKE_ASSIGN_OR_RETURN(ImageInfo info, ProbeImage(bytes));
  uint64_t pixels = static_cast<uint64_t>(info.width) * static_cast<uint64_t>(info.height);
  if (pixels > limits.max_pixels) return TooManyPixels(info.width, info.height, limits.max_pixels);
  if (info.format == ImageFormat::kGif) return DecodeGif(bytes, limits);
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    return Status::ResourceExhausted("file too large for the decoder");
  }
  LOOKALIKE_ASSIGN_OR_RETURN(Image img, DecodeWithOpenCv(bytes, info.format));
  // A decoder must not produce more than the header promised (EXIF may only swap the axes).
  if (static_cast<uint64_t>(img.width) * img.height != pixels) {
    return Undecodable(info.format, "decoded size differs from the header");
  }
  return img;
}

Result<std::vector<uint8_t>> ReadFileLimited(const std::string& path, uint64_t max_bytes) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status::IOError(path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + ": not a regular file");
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Status::ResourceExhausted(path + ": file is " + std::to_string(st.st_size) +
                                     " bytes, over the limit of " + std::to_string(max_bytes));
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IOError(path + ": " + std::strerror(errno));
  std::vector<uint8_t> data(static_cast<size_t>(st.st_size));
  size_t got = data.empty() ? 0 : std::fread(data.data(), 1, data.size(), f);
  std::fclose(f);
  if (got != data.size()) return Status::IOError(path + ": short read");
  return data;
}

Result<Image> DecodeImageFile(const std::string& path, const DecodeLimits& limits) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                             ReadFileLimited(path, limits.max_file_bytes));
  Result<Image> img = DecodeImage(bytes, limits);
  if (!img.ok()) return img.status().WithContext(path);
  return img;
}

}  // namespace lookalike
