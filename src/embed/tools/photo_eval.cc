// photo_eval: instance-level retrieval on real photographs (issue 11). The database is the
// photographs of scripts/fetch-photo-eval.sh; the queries are degraded copies of each, made
// here with OpenCV from a fixed seed; a query counts at rank 1 when its own original is the
// nearest database vector (cosine), and at recall@10 when it is among the 10 nearest.
//
//   photo_eval MODEL_DIR PHOTO_DIR [--models a,b,...] [--seed S] [--max-side N]
//   photo_eval MODEL_DIR PHOTO_DIR --learn-whitening OUT --model NAME [--dims D]
//   photo_eval MODEL_DIR PHOTO_DIR --bench --models a,b    ms per query image: one 1024-px
//       photograph, one network instance, preprocessing + forward passes + pooling (decode
//       excluded), median wall and mean process CPU over 30 runs
//
// PHOTO_DIR/eval/** are the database, PHOTO_DIR/whiten/** the separate images PCA-whitening is
// learned on (with their horizontal flips): the mean and the top D principal directions of the
// L2-normalised descriptors, each scaled by 1/sqrt(eigenvalue), written in the format of
// docs/formats/whitening.md. Photographs are first shrunk (area) to --max-side (1024) pixels on
// the longer side, as a photo library's originals would be by a thumbnailing step.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "embed/descriptor.h"
#include "embed/tools/cv_image.h"
#include "lookalike/embedder.h"

namespace fs = std::filesystem;
using lookalike::Image;
using lookalike::tools::AsMat;
using lookalike::tools::FromMat;
using lookalike::tools::LoadImagesBelow;
using lookalike::tools::Shrink;

namespace {

cv::Mat JpegRoundTrip(const cv::Mat& rgb, int quality) {
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> enc;
  cv::imencode(".jpg", bgr, enc, {cv::IMWRITE_JPEG_QUALITY, quality});
  auto img = lookalike::DecodeImage(enc);
  return img.ok() ? AsMat(*img).clone() : rgb;
}

cv::Mat Crop(const cv::Mat& m, double fraction, std::mt19937& rng) {
  // Removes `fraction` of each dimension, split at random between the two sides.
  std::uniform_real_distribution<double> u(0, 1);
  int cw = int(m.cols * fraction), ch = int(m.rows * fraction);
  int x = int(cw * u(rng)), y = int(ch * u(rng));
  return m(cv::Rect(x, y, m.cols - cw, m.rows - ch)).clone();
}

cv::Mat Scale(const cv::Mat& m, double f) {
  cv::Mat out;
  cv::resize(m, out, cv::Size(std::max(8, int(m.cols * f)), std::max(8, int(m.rows * f))), 0, 0,
             cv::INTER_AREA);
  return out;
}

constexpr const char* kDegradations[] = {"crop",   "scale", "jpeg", "rotate",
                                         "bright", "text",  "flip", "combo"};
constexpr int kKinds = 8;

// The degradations; parameters drawn from `rng` within the ranges.
Image Degrade(const Image& src, int kind, std::mt19937& rng) {
  cv::Mat m = AsMat(src), out;
  auto uni = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  switch (kind) {
    case 0:  // crop 5–20 %
      out = Crop(m, uni(0.05, 0.20), rng);
      break;
    case 1:  // scale ×0.25–×0.75
      out = Scale(m, uni(0.25, 0.75));
      break;
    case 2:  // JPEG quality 20–50, really encoded and decoded
      out = JpegRoundTrip(m, int(uni(20, 50.999)));
      break;
    case 3: {  // rotation ±5°, corners filled by reflection
      double angle = uni(-5, 5);
      cv::Mat rot = cv::getRotationMatrix2D(cv::Point2f(m.cols / 2.f, m.rows / 2.f), angle, 1.0);
      cv::warpAffine(m, out, rot, m.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
      break;
    }
    case 4:  // brightness and contrast
      m.convertTo(out, -1, uni(0.7, 1.3), uni(-40, 40));
      break;
    case 5: {  // a caption burnt in: white text with a dark outline, ~1/12 of the height
      out = m.clone();
      static const char* kWords[] = {"SALE -50%", "(c) 2026 Studio", "Holiday!",
                                     "lookalike.example"};
      std::string text = kWords[rng() % 4];
      double font = out.rows / 12.0 / 22.0;
      int thick = std::max(1, int(font * 2));
      cv::Point at(int(uni(0.02, 0.4) * out.cols), int(uni(0.15, 0.95) * out.rows));
      cv::putText(out, text, at, cv::FONT_HERSHEY_SIMPLEX, font, cv::Scalar(0, 0, 0), thick * 3,
                  cv::LINE_AA);
      cv::putText(out, text, at, cv::FONT_HERSHEY_SIMPLEX, font, cv::Scalar(255, 255, 255), thick,
                  cv::LINE_AA);
      break;
    }
    case 6:
      cv::flip(m, out, 1);
      break;
    default:  // the case: crop 10 %, half size, JPEG quality 30
      out = JpegRoundTrip(Scale(Crop(m, 0.10, rng), 0.5), 30);
      break;
  }
  return FromMat(out);
}

using Matrix = std::vector<float>;

Matrix EmbedAll(lookalike::Embedder& e, const std::vector<Image>& images, double* ms_per_image) {
  std::vector<const Image*> ptrs;
  for (const Image& i : images) ptrs.push_back(&i);
  Matrix out(images.size() * e.dims());
  auto t0 = std::chrono::steady_clock::now();
  lookalike::Status st = e.EmbedBatch(ptrs, out);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!st.ok()) {
    std::fprintf(stderr, "photo_eval: %s\n", st.ToString().c_str());
    std::exit(1);
  }
  if (ms_per_image != nullptr) *ms_per_image = ms / std::max<size_t>(1, images.size());
  return out;
}

// Rank of `want` among the database for query q (0 = first).
size_t RankOf(const Matrix& db, const float* q, size_t want, size_t d) {
  size_t n = db.size() / d;
  auto dot = [&](size_t i) {
    float s = 0;
    for (size_t k = 0; k < d; ++k) s += q[k] * db[i * d + k];
    return s;
  };
  float target = dot(want);
  size_t rank = 0;
  for (size_t i = 0; i < n; ++i) rank += i != want && dot(i) > target;
  return rank;
}

int LearnWhitening(lookalike::ModelManifest m, const fs::path& photos, const std::string& out,
                   int dims, int max_side) {
  m.whitening.reset();
  m.whiten_file.clear();
  m.dims = m.channels;
  m.l2_normalize = true;
  auto e = lookalike::Embedder::Create(m, {.instances = 1});
  if (!e.ok()) {
    std::fprintf(stderr, "photo_eval: %s\n", e.status().ToString().c_str());
    return 1;
  }
  std::vector<Image> images = LoadImagesBelow(photos / "whiten", max_side, nullptr, "photo_eval");
  size_t originals = images.size();
  for (size_t i = 0; i < originals; ++i) {
    cv::Mat f;
    cv::flip(AsMat(images[i]), f, 1);
    images.push_back(FromMat(f));
  }
  Matrix x = EmbedAll(**e, images, nullptr);
  const int d = m.channels;
  const int rows = static_cast<int>(images.size());
  dims = std::min({dims, d, rows - 1});
  cv::Mat data(rows, d, CV_32F, x.data());
  cv::PCA pca(data, cv::noArray(), cv::PCA::DATA_AS_ROW, dims);
  lookalike::Whitening w;
  w.in_dims = d;
  w.out_dims = dims;
  w.mean.assign(pca.mean.ptr<float>(), pca.mean.ptr<float>() + d);
  w.projection.resize(static_cast<size_t>(dims) * d);
  for (int r = 0; r < dims; ++r) {
    float scale = 1.0f / std::sqrt(std::max(pca.eigenvalues.at<float>(r), 1e-12f));
    for (int k = 0; k < d; ++k)
      w.projection[size_t(r) * d + k] = pca.eigenvectors.at<float>(r, k) * scale;
  }
  std::ofstream f(out, std::ios::binary);
  std::string bytes = lookalike::embed::EncodeWhitening(w);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::fprintf(stderr,
               "photo_eval: whitening %d -> %d learned on %d vectors (%zu images + flips) "
               "into %s\n",
               d, dims, rows, originals, out.c_str());
  return f.good() ? 0 : 1;
}

double CpuMs() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int Bench(lookalike::ModelRegistry& reg, const fs::path& photos, const std::string& models,
          int max_side) {
  std::vector<Image> images =
      LoadImagesBelow(photos / "eval" / "mate-backgrounds", max_side, nullptr, "photo_eval");
  if (images.empty()) return 1;
  const Image& img = images.front();
  std::printf("| model | dims | median wall ms | CPU ms |\n|---|---|---|---|\n");
  for (const lookalike::ModelManifest& m : reg.List()) {
    if (!models.empty() && models.find("," + m.name + ",") == std::string::npos) continue;
    auto e = lookalike::Embedder::Create(m, {.instances = 1});
    if (!e.ok()) continue;
    std::vector<double> wall;
    double cpu0 = CpuMs();
    constexpr int kRuns = 30;
    for (int i = 0; i < kRuns; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      (void)(*e)->Embed(img);
      wall.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    double cpu = (CpuMs() - cpu0) / kRuns;
    std::sort(wall.begin(), wall.end());
    std::printf("| %s | %d | %.1f | %.1f |\n", m.name.c_str(), m.dims, wall[kRuns / 2], cpu);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: photo_eval MODEL_DIR PHOTO_DIR [--models a,b] [--seed S] [--max-side N]\n"
                 "       photo_eval MODEL_DIR PHOTO_DIR --learn-whitening OUT --model NAME "
                 "[--dims D]\n");
    return 2;
  }
  const std::string model_dir = argv[1];
  const fs::path photos = argv[2];
  std::string models, learn_out, learn_model;
  unsigned seed = 11;
  int max_side = 1024, dims = 512;
  bool bench = false;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--bench") {
      bench = true;
      continue;
    }
    if (i + 1 >= argc) break;
    std::string v = argv[++i];
    if (a == "--models") models = "," + v + ",";
    if (a == "--seed") seed = static_cast<unsigned>(std::stoul(v));
    if (a == "--max-side") max_side = std::stoi(v);
    if (a == "--learn-whitening") learn_out = v;
    if (a == "--model") learn_model = v;
    if (a == "--dims") dims = std::stoi(v);
  }
  auto reg = lookalike::ModelRegistry::LoadDir(model_dir);
  if (!reg.ok()) {
    std::fprintf(stderr, "photo_eval: %s\n", reg.status().ToString().c_str());
    return 1;
  }
  for (const lookalike::Status& st : (*reg)->refused()) {
    std::fprintf(stderr, "photo_eval: refused: %s\n", st.ToString().c_str());
  }
  if (bench) return Bench(**reg, photos, models, max_side);
  if (!learn_out.empty()) {
    for (const lookalike::ModelManifest& m : (*reg)->List()) {
      if (m.name == learn_model) return LearnWhitening(m, photos, learn_out, dims, max_side);
    }
    std::fprintf(stderr, "photo_eval: no model %s\n", learn_model.c_str());
    return 1;
  }

  std::vector<std::string> names;
  std::vector<Image> db_images = LoadImagesBelow(photos / "eval", max_side, &names, "photo_eval");
  std::mt19937 rng(seed);
  std::vector<Image> queries[kKinds];
  for (int k = 0; k < kKinds; ++k) {
    for (const Image& img : db_images) queries[k].push_back(Degrade(img, k, rng));
  }
  std::fprintf(stderr, "photo_eval: %zu photographs, %d degradations each\n", db_images.size(),
               kKinds);
  std::printf("| model | dims |");
  for (const char* k : kDegradations) std::printf(" %s |", k);
  std::printf(" all: rank-1 / R@10 | ms/image db / query |\n|---|---|");
  for (int k = 0; k <= kKinds + 1; ++k) std::printf("---|");
  std::printf("\n");
  for (const lookalike::ModelManifest& m : (*reg)->List()) {
    if (!models.empty() && models.find("," + m.name + ",") == std::string::npos) continue;
    auto e = lookalike::Embedder::Create(m);
    if (!e.ok()) {
      std::fprintf(stderr, "photo_eval: %s\n", e.status().ToString().c_str());
      continue;
    }
    const size_t d = static_cast<size_t>((*e)->dims());
    double db_ms = 0, q_ms = 0, ms = 0;
    Matrix db = EmbedAll(**e, db_images, &db_ms);
    std::printf("| %s | %zu |", m.name.c_str(), d);
    size_t top1_all = 0, top10_all = 0, total = 0;
    for (int k = 0; k < kKinds; ++k) {
      Matrix q = EmbedAll(**e, queries[k], &ms);
      q_ms += ms / kKinds;
      size_t top1 = 0, top10 = 0, n = queries[k].size();
      for (size_t i = 0; i < n; ++i) {
        size_t rank = RankOf(db, &q[i * d], i, d);
        top1 += rank == 0;
        top10 += rank < 10;
      }
      top1_all += top1, top10_all += top10, total += n;
      std::printf(" %.3f / %.3f |", double(top1) / n, double(top10) / n);
    }
    std::printf(" %.3f / %.3f | %.1f / %.1f |\n", double(top1_all) / total,
                double(top10_all) / total, db_ms, q_ms);
    std::fflush(stdout);
  }
  return 0;
}
