// OpenCV views of decoded images for the evaluation tools (embed_eval, photo_eval): the library
// itself works on lookalike::Image and does not use OpenCV's image types.
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "lookalike/embedder.h"

namespace lookalike::tools {

/// A cv::Mat over the image's RGB bytes (no copy; valid while `img` lives).
inline cv::Mat AsMat(const Image& img) {
  return cv::Mat(img.height, img.width, CV_8UC3, const_cast<uint8_t*>(img.rgb.data()));
}

/// A copy of an 8-bit, 3-channel matrix as an Image.
inline Image FromMat(const cv::Mat& m) {
  Image img;
  img.width = m.cols;
  img.height = m.rows;
  cv::Mat c = m.isContinuous() ? m : m.clone();
  img.rgb.assign(c.data, c.data + c.total() * 3);
  return img;
}

/// The image with its longer side at most `max_side` (area resampling); unchanged if smaller.
inline Image Shrink(const Image& img, int max_side) {
  int side = std::max(img.width, img.height);
  if (side <= max_side) return img;
  double f = double(max_side) / side;
  cv::Mat out;
  cv::resize(AsMat(img), out,
             cv::Size(std::max(1, int(img.width * f)), std::max(1, int(img.height * f))), 0, 0,
             cv::INTER_AREA);
  return FromMat(out);
}

/// Every decodable image of at least 64×64 below `dir` (recursively, symlinks followed), in
/// path order, shrunk to `max_side`; the paths into `names` when given. Others are skipped with
/// a line on stderr prefixed by `tool`.
inline std::vector<Image> LoadImagesBelow(const std::filesystem::path& dir, int max_side,
                                          std::vector<std::string>* names, const char* tool) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(
           dir, std::filesystem::directory_options::follow_directory_symlink)) {
    if (e.is_regular_file()) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<Image> out;
  for (const std::string& f : files) {
    auto img = DecodeImageFile(f);
    if (!img.ok() || img->width < 64 || img->height < 64) {
      std::fprintf(stderr, "%s: skipping %s\n", tool, f.c_str());
      continue;
    }
    out.push_back(Shrink(*img, max_side));
    if (names != nullptr) names->push_back(f);
  }
  return out;
}

}  // namespace lookalike::tools
