// Test helper of test_near_duplicates.py: writes planted near-copies of one image, the kinds a
// photo collection accumulates. Usage: plant_copies IN OUT_PREFIX
//   OUT_PREFIX-resized.jpg       scaled to 60% (area filter), JPEG quality 90
//   OUT_PREFIX-recompressed.jpg  same size, JPEG quality 35
//   OUT_PREFIX-cropped.jpg       5% cut from every side (~19% of the area), JPEG quality 90
// The input is decoded like the indexer does (lookalike::DecodeImageFile: EXIF orientation,
// transparency over white), so the copies differ from it only by the planted change.
#include <cstdio>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "lookalike/embedder.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: plant_copies IN OUT_PREFIX\n");
    return 2;
  }
  auto image = lookalike::DecodeImageFile(argv[1]);
  if (!image.ok()) {
    std::fprintf(stderr, "plant_copies: %s\n", image.status().ToString().c_str());
    return 1;
  }
  cv::Mat rgb(image->height, image->width, CV_8UC3, image->rgb.data());
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  const std::string prefix = argv[2];
  auto write = [&](const std::string& name, const cv::Mat& m, int quality) {
    std::vector<int> params = {cv::IMWRITE_JPEG_QUALITY, quality};
    if (!cv::imwrite(prefix + "-" + name + ".jpg", m, params)) {
      std::fprintf(stderr, "plant_copies: cannot write %s-%s.jpg\n", prefix.c_str(), name.c_str());
      return false;
    }
    return true;
  };
  cv::Mat resized;
  cv::resize(bgr, resized, cv::Size(), 0.6, 0.6, cv::INTER_AREA);
  int dx = bgr.cols / 20, dy = bgr.rows / 20;
  cv::Mat cropped = bgr(cv::Rect(dx, dy, bgr.cols - 2 * dx, bgr.rows - 2 * dy)).clone();
  bool ok = write("resized", resized, 90) && write("recompressed", bgr, 35) &&
            write("cropped", cropped, 90);
  return ok ? 0 : 1;
}
