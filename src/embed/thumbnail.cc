// JPEG thumbnails of decoded images, for the search page's result grid.
#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "lookalike/embedder.h"

namespace lookalike {

Result<std::vector<uint8_t>> EncodeThumbnailJpeg(const Image& image, int max_side, int quality) {
  if (max_side < 1) return Status::InvalidArgument("thumbnail size must be positive");
  if (quality < 1 || quality > 100) return Status::InvalidArgument("JPEG quality must be 1..100");
  if (image.width < 1 || image.height < 1 ||
      image.rgb.size() != static_cast<size_t>(image.width) * image.height * 3) {
    return Status::InvalidArgument("thumbnail of an empty or inconsistent image");
  }
  try {
    // The Mat wraps the caller's pixels read-only (cvtColor writes into a new buffer).
    const cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    int longest = std::max(image.width, image.height);
    if (longest > max_side) {
      double f = static_cast<double>(max_side) / longest;
      int w = std::max(1, static_cast<int>(std::lround(image.width * f)));
      int h = std::max(1, static_cast<int>(std::lround(image.height * f)));
      if (image.width >= image.height) w = max_side;
      if (image.height >= image.width) h = max_side;
      cv::Mat small;
      // INTER_AREA averages the source pixels: no aliasing on large reductions.
      cv::resize(bgr, small, cv::Size(w, h), 0, 0, cv::INTER_AREA);
      bgr = small;
    }
    std::vector<uint8_t> out;
    const std::vector<int> params = {cv::IMWRITE_JPEG_QUALITY, quality};
    if (!cv::imencode(".jpg", bgr, out, params)) {
      return Status::IOError("JPEG encoding failed");
    }
    return out;
  } catch (const cv::Exception& e) {
    return Status::IOError(std::string("thumbnail: ") + e.what());
  }
}

}  // namespace lookalike
