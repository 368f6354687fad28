// crop_eval: does `ingest-images --crops N` let a close-up find the photograph it was cut from,
// and does it keep whole-photo queries as good? (issue 12 item 4; table in docs/models.md)
//
//   crop_eval MODEL_DIR PHOTO_DIR [--models a,b] [--grids 2,3] [--seed S] [--max-side N]
//
// The database is the photographs of scripts/fetch-photo-eval.sh (PHOTO_DIR/eval/**), shrunk
// to --max-side (1024) pixels; each photograph is one document holding its whole-image vector
// (grid 0) or, for each grid N, the whole image plus the N × N crops of embed/crop_grid.h, the
// exact code ingest-images uses. A document's score is its best vector's cosine (score_mode
// max, as a knn search on the nested crops field ranks documents); ranks are exact.
// Queries, one per photograph and kind, from a fixed seed:
//   closeup-side  a region of 25–50 % of each side (aspect kept) at a random place, rescaled so
//                 its longer side is 512–1024 px (a close-up saved at screen size)
//   closeup-area  the same with 25–50 % of the area (about 50–71 % of each side)
//   full          the whole photograph at half size, JPEG quality 50
// It prints rank-1 / recall@10 per kind and grid, and the database embedding time per photo
// (wall-clock ms of EmbedBatch over all photos and their crops, divided by the photo count).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "embed/crop_grid.h"
#include "embed/tools/cv_image.h"
#include "lookalike/embedder.h"

namespace fs = std::filesystem;
using lookalike::Image;
using lookalike::tools::AsMat;
using lookalike::tools::FromMat;
using lookalike::tools::Shrink;

namespace {

constexpr const char* kKinds[] = {"closeup-side", "closeup-area", "full"};
constexpr int kKindCount = 3;

Image Query(const Image& src, int kind, std::mt19937& rng) {
  auto uni = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  cv::Mat m = AsMat(src), out;
  if (kind == 2) {
    cv::Mat half;
    cv::resize(m, half, cv::Size(m.cols / 2, m.rows / 2), 0, 0, cv::INTER_AREA);
    cv::Mat bgr;
    cv::cvtColor(half, bgr, cv::COLOR_RGB2BGR);
    std::vector<uint8_t> enc;
    cv::imencode(".jpg", bgr, enc, {cv::IMWRITE_JPEG_QUALITY, 50});
    auto img = lookalike::DecodeImage(enc);
    return img.ok() ? std::move(img).value() : FromMat(half);
  }
  const double f = kind == 0 ? uni(0.25, 0.50) : std::sqrt(uni(0.25, 0.50));
  const int cw = std::max(8, int(m.cols * f)), ch = std::max(8, int(m.rows * f));
  const int x = int(uni(0, m.cols - cw)), y = int(uni(0, m.rows - ch));
  const double side = uni(512, 1024) / std::max(cw, ch);
  cv::resize(m(cv::Rect(x, y, cw, ch)), out,
             cv::Size(std::max(8, int(cw * side)), std::max(8, int(ch * side))), 0, 0,
             side < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return FromMat(out);
}

// Embeds `images` (pointers) into rows of `out`; returns the wall-clock ms.
double Embed(lookalike::Embedder& e, const std::vector<const Image*>& images,
             std::vector<float>* out) {
  out->assign(images.size() * e.dims(), 0.0f);
  auto t0 = std::chrono::steady_clock::now();
  lookalike::Status st = e.EmbedBatch(images, *out);
  if (!st.ok()) {
    std::fprintf(stderr, "crop_eval: %s\n", st.ToString().c_str());
    std::exit(1);
  }
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Every photograph's vectors for grid n (0: the whole image only), with their owner; the
// crops are made and embedded 16 photographs at a time so memory stays small.
double EmbedDatabase(lookalike::Embedder& e, const std::vector<Image>& photos, int n,
                     std::vector<float>* vecs, std::vector<size_t>* owner) {
  double ms = 0;
  vecs->clear();
  owner->clear();
  for (size_t start = 0; start < photos.size(); start += 16) {
    const size_t end = std::min(photos.size(), start + 16);
    std::vector<Image> crops;
    crops.reserve((end - start) * n * n);
    std::vector<const Image*> batch;
    for (size_t i = start; i < end; ++i) {
      batch.push_back(&photos[i]);
      owner->push_back(i);
      if (n == 0) continue;
      for (const auto& box : lookalike::embed::CropGrid(photos[i].width, photos[i].height, n)) {
        crops.push_back(lookalike::embed::CropImage(photos[i], box));
        owner->push_back(i);
      }
    }
    size_t c = 0;
    std::vector<const Image*> ordered;  // the owner order: each photo, then its crops
    for (const Image* p : batch) {
      ordered.push_back(p);
      for (int k = 0; k < n * n; ++k) ordered.push_back(&crops[c++]);
    }
    std::vector<float> part;
    ms += Embed(e, ordered, &part);
    vecs->insert(vecs->end(), part.begin(), part.end());
  }
  return ms;
}

// Rank (0 = first) of document `want` for query q, each document scored by its best vector.
size_t RankOf(const std::vector<float>& vecs, const std::vector<size_t>& owner, size_t docs,
              const float* q, size_t want, size_t d) {
  std::vector<float> best(docs, -2.0f);
  for (size_t r = 0; r < owner.size(); ++r) {
    float s = 0;
    for (size_t k = 0; k < d; ++k) s += q[k] * vecs[r * d + k];
    best[owner[r]] = std::max(best[owner[r]], s);
  }
  size_t rank = 0;
  for (size_t i = 0; i < docs; ++i) rank += i != want && best[i] > best[want];
  return rank;
}

std::vector<int> ParseList(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: crop_eval MODEL_DIR PHOTO_DIR [--models a,b] [--grids 2,3] "
                         "[--seed S] [--max-side N]\n");
    return 2;
  }
  std::string models;
  std::vector<int> grids = {2, 3};
  unsigned seed = 11;
  int max_side = 1024;
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--models") models = "," + v + ",";
    if (a == "--grids") grids = ParseList(v);
    if (a == "--seed") seed = static_cast<unsigned>(std::stoul(v));
    if (a == "--max-side") max_side = std::stoi(v);
  }
  for (int n : grids) {
    if (n < lookalike::embed::kMinCropGrid || n > lookalike::embed::kMaxCropGrid) {
      std::fprintf(stderr, "crop_eval: grids are 2..4\n");
      return 2;
    }
  }
  grids.insert(grids.begin(), 0);
  auto reg = lookalike::ModelRegistry::LoadDir(argv[1]);
  if (!reg.ok()) {
    std::fprintf(stderr, "crop_eval: %s\n", reg.status().ToString().c_str());
    return 1;
  }
  std::vector<Image> photos = lookalike::tools::LoadImagesBelow(
      fs::path(argv[2]) / "eval", max_side, nullptr, "crop_eval");
  std::mt19937 rng(seed);
  std::vector<Image> queries[kKindCount];
  for (int k = 0; k < kKindCount; ++k) {
    for (const Image& p : photos) queries[k].push_back(Query(p, k, rng));
  }
  std::fprintf(stderr, "crop_eval: %zu photographs, %d query kinds\n", photos.size(), kKindCount);
  std::printf("| model | vectors per photo |");
  for (const char* k : kKinds) std::printf(" %s rank-1 / R@10 |", k);
  std::printf(" db ms/photo |\n|---|---|---|---|---|---|\n");
  for (const lookalike::ModelManifest& m : (*reg)->List()) {
    if (!models.empty() && models.find("," + m.name + ",") == std::string::npos) continue;
    auto e = lookalike::Embedder::Create(m);
    if (!e.ok()) continue;
    const size_t d = static_cast<size_t>((*e)->dims());
    std::vector<float> q[kKindCount];
    for (int k = 0; k < kKindCount; ++k) {
      std::vector<const Image*> ptrs;
      for (const Image& i : queries[k]) ptrs.push_back(&i);
      Embed(**e, ptrs, &q[k]);
    }
    for (int n : grids) {
      std::vector<float> vecs;
      std::vector<size_t> owner;
      double ms = EmbedDatabase(**e, photos, n, &vecs, &owner);
      if (n == 0) {
        std::printf("| %s | 1 (whole image) |", m.name.c_str());
      } else {
        std::printf("| %s | %d (whole + %dx%d) |", m.name.c_str(), 1 + n * n, n, n);
      }
      for (int k = 0; k < kKindCount; ++k) {
        size_t top1 = 0, top10 = 0;
        for (size_t i = 0; i < photos.size(); ++i) {
          size_t rank = RankOf(vecs, owner, photos.size(), &q[k][i * d], i, d);
          top1 += rank == 0;
          top10 += rank < 10;
        }
        std::printf(" %.3f / %.3f |", double(top1) / photos.size(),
                    double(top10) / photos.size());
      }
      std::printf(" %.1f |\n", ms / photos.size());
      std::fflush(stdout);
    }
  }
  return 0;
}
