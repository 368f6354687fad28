// embed_eval: measures embedding quality on labelled images from Debian packages, to choose the
// default model (docs/models.md has the table and the command).
//
//   embed_eval MODEL_DIR [--per-class N] [--dup N] [--seed S] [--models a,b,...]
//   embed_eval MODEL_DIR --bench      speed: decode and embed ms/image per model
//
// Data: openclipart-png (class = top-level folder under /usr/share/openclipart/png; folders
// with fewer than N images and "unsorted"/"special" are skipped) and dataset-fashion-mnist
// (t10k set, 10 classes). N images per class are drawn with a fixed seed.
// Metrics, per model output, raw and centred (corpus mean subtracted, then L2-normalised):
//   P@10  mean fraction of the 10 nearest neighbours (cosine, self excluded) of the same class;
//   dup   top-1 recall of near-duplicates: for --dup images per data set, each edited copy is
//         searched among all originals of its set and must find its source first. Edits: resize
//         ×0.5; JPEG quality 30; crop keeping the top-left 90%×90%; horizontal flip.
// Decoded images are first shrunk (area) to at most 512 px on the longer side to bound memory.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>
#include <vector>

#include "embed/tools/cv_image.h"
#include "lookalike/embedder.h"

namespace fs = std::filesystem;
using lookalike::Image;
using lookalike::tools::AsMat;
using lookalike::tools::FromMat;
using lookalike::tools::Shrink;

namespace {

struct Item {
  Image image;
  int label;
};

struct DataSet {
  std::string name;
  std::vector<std::string> classes;
  std::vector<Item> items;
};

DataSet LoadClipart(int per_class, std::mt19937& rng) {
  DataSet ds{"openclipart"};
  const fs::path root = "/usr/share/openclipart/png";
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& d : dirs) {
    std::string cls = d.filename().string();
    if (cls == "unsorted" || cls == "special") continue;
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(d)) {
      if (e.is_regular_file() && e.path().extension() == ".png") files.push_back(e.path());
    }
    if (static_cast<int>(files.size()) < per_class) continue;
    std::sort(files.begin(), files.end());
    std::shuffle(files.begin(), files.end(), rng);
    int label = static_cast<int>(ds.classes.size());
    ds.classes.push_back(cls);
    int taken = 0;
    for (const std::string& f : files) {
      if (taken == per_class) break;
      auto img = lookalike::DecodeImageFile(f);
      if (!img.ok()) continue;
      ds.items.push_back({Shrink(*img, 512), label});
      ++taken;
    }
  }
  return ds;
}

std::vector<uint8_t> ReadGz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  std::vector<uint8_t> out;
  if (f == nullptr) return out;
  uint8_t buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out.insert(out.end(), buf, buf + n);
  gzclose(f);
  return out;
}

DataSet LoadFashion(int per_class, std::mt19937& rng) {
  DataSet ds{"fashion-mnist"};
  ds.classes = {"t-shirt", "trouser", "pullover", "dress", "coat",
                "sandal",  "shirt",   "sneaker",  "bag",   "boot"};
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  std::vector<uint8_t> images = ReadGz(dir + "t10k-images-idx3-ubyte.gz");
  std::vector<uint8_t> labels = ReadGz(dir + "t10k-labels-idx1-ubyte.gz");
  if (images.size() < 16 || labels.size() < 8) return ds;
  const size_t n = labels.size() - 8;
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<int> count(10, 0);
  for (size_t i : order) {
    int l = labels[8 + i];
    if (l > 9 || count[l] == per_class) continue;
    ++count[l];
    Image img;
    img.width = img.height = 28;
    img.rgb.resize(28 * 28 * 3);
    for (int p = 0; p < 28 * 28; ++p) {
      // Fashion-MNIST is white-on-black; invert to a product photo on a white background.
      uint8_t v = 255 - images[16 + i * 784 + p];
      img.rgb[3 * p] = img.rgb[3 * p + 1] = img.rgb[3 * p + 2] = v;
    }
    ds.items.push_back({std::move(img), l});
  }
  return ds;
}

// The edits of the near-duplicate test, each through a real encode → decode round trip.
Image Edit(const Image& src, int kind) {
  cv::Mat m = AsMat(src), out;
  std::vector<int> params;
  std::string ext = ".png";
  switch (kind) {
    case 0:
      cv::resize(m, out, cv::Size(std::max(1, m.cols / 2), std::max(1, m.rows / 2)), 0, 0,
                 cv::INTER_AREA);
      break;
    case 1:
      out = m;
      ext = ".jpg";
      params = {cv::IMWRITE_JPEG_QUALITY, 30};
      break;
    case 2:
      out = m(cv::Rect(0, 0, std::max(1, m.cols * 9 / 10), std::max(1, m.rows * 9 / 10))).clone();
      break;
    default:
      cv::flip(m, out, 1);
      break;
  }
  cv::Mat bgr;
  cv::cvtColor(out, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> enc;
  cv::imencode(ext, bgr, enc, params);
  auto img = lookalike::DecodeImage(enc);
  return img.ok() ? *img : src;
}

using Matrix = std::vector<float>;  // rows of `d`

void Normalize(Matrix* m, size_t d) {
  for (size_t r = 0; r < m->size() / d; ++r) {
    double s = 0;
    for (size_t k = 0; k < d; ++k) s += double((*m)[r * d + k]) * (*m)[r * d + k];
    float inv = s > 0 ? float(1 / std::sqrt(s)) : 0.f;
    for (size_t k = 0; k < d; ++k) (*m)[r * d + k] *= inv;
  }
}

std::vector<float> Mean(const Matrix& m, size_t d) {
  std::vector<double> acc(d, 0);
  size_t n = m.size() / d;
  for (size_t r = 0; r < n; ++r) {
    for (size_t k = 0; k < d; ++k) acc[k] += m[r * d + k];
  }
  std::vector<float> out(d);
  for (size_t k = 0; k < d; ++k) out[k] = float(acc[k] / n);
  return out;
}

void Center(Matrix* m, const std::vector<float>& mean, size_t d) {
  for (size_t r = 0; r < m->size() / d; ++r) {
    for (size_t k = 0; k < d; ++k) (*m)[r * d + k] -= mean[k];
  }
  Normalize(m, d);
}

float Dot(const float* a, const float* b, size_t d) {
  float s = 0;
  for (size_t k = 0; k < d; ++k) s += a[k] * b[k];
  return s;
}

double PrecisionAt10(const Matrix& db, const std::vector<int>& labels, size_t d) {
  size_t n = labels.size();
  double total = 0;
  std::vector<std::pair<float, size_t>> sims(n);
  for (size_t q = 0; q < n; ++q) {
    for (size_t i = 0; i < n; ++i) {
      sims[i] = {i == q ? -2.f : Dot(&db[q * d], &db[i * d], d), i};
    }
    std::partial_sort(sims.begin(), sims.begin() + 10, sims.end(),
                      [](auto& a, auto& b) { return a.first > b.first; });
    int same = 0;
    for (int j = 0; j < 10; ++j) same += labels[sims[j].second] == labels[q];
    total += same / 10.0;
  }
  return total / n;
}

// Fraction of queries whose nearest original is their own source.
double Top1(const Matrix& db, const Matrix& queries, const std::vector<size_t>& source, size_t d) {
  size_t n = db.size() / d, hits = 0;
  for (size_t q = 0; q < source.size(); ++q) {
    size_t best = 0;
    float best_s = -2;
    for (size_t i = 0; i < n; ++i) {
      float s = Dot(&queries[q * d], &db[i * d], d);
      if (s > best_s) best_s = s, best = i;
    }
    hits += best == source[q];
  }
  return double(hits) / source.size();
}

Matrix EmbedAll(lookalike::Embedder& e, const std::vector<const Image*>& images) {
  Matrix out(images.size() * e.dims());
  lookalike::Status st = e.EmbedBatch(images, out);
  if (!st.ok()) {
    std::fprintf(stderr, "embed_eval: %s\n", st.ToString().c_str());
    std::exit(1);
  }
  return out;
}

double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double WallMs() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Median wall time and mean process CPU time of `fn` over `reps` runs.
template <typename Fn>
std::pair<double, double> Time(int reps, Fn fn) {
  std::vector<double> wall;
  double cpu0 = ThreadCpuMs();
  for (int i = 0; i < reps; ++i) {
    double t = WallMs();
    fn();
    wall.push_back(WallMs() - t);
  }
  double cpu = (ThreadCpuMs() - cpu0) / reps;
  std::sort(wall.begin(), wall.end());
  return {wall[wall.size() / 2], cpu};
}

int Bench(const std::string& model_dir) {
  // Decoding: a 1024×768 photo-like image as JPEG q90 and PNG.
  cv::Mat img(768, 1024, CV_8UC3);
  cv::randu(img, 0, 255);
  cv::GaussianBlur(img, img, cv::Size(0, 0), 3);
  std::printf("| step | median wall ms | CPU ms |\n|---|---|---|\n");
  for (const char* ext : {".jpg", ".png"}) {
    std::vector<uint8_t> enc;
    cv::imencode(ext, img, enc, {cv::IMWRITE_JPEG_QUALITY, 90});
    auto [w, c] = Time(20, [&] { (void)lookalike::DecodeImage(enc); });
    std::printf("| decode 1024x768 %s | %.1f | %.1f |\n", ext + 1, w, c);
  }
  auto reg = lookalike::ModelRegistry::LoadDir(model_dir);
  if (!reg.ok()) return 1;
  Image in = FromMat(img);
  for (const lookalike::ModelManifest& m : (*reg)->List()) {
    if (m.name.rfind("probe_", 0) == 0) continue;
    auto e1 = lookalike::Embedder::Create(m, {.instances = 1});
    if (!e1.ok()) return 1;
    std::vector<const Image*> one = {&in};
    std::vector<float> out(64 * m.dims);
    auto [w1, c1] = Time(20, [&] { (void)(*e1)->EmbedBatch(one, out); });
    std::printf("| %s: 1 image, 1 instance (preprocess + forward) | %.1f | %.1f |\n",
                m.name.c_str(), w1, c1);
    auto e2 = lookalike::Embedder::Create(m, {.instances = 2});
    if (!e2.ok()) return 1;
    std::vector<const Image*> many(64, &in);
    auto [w2, c2] = Time(3, [&] { (void)(*e2)->EmbedBatch(many, out); });
    std::printf("| %s: 64 images, 2 instances, per image | %.1f | %.1f |\n", m.name.c_str(),
                w2 / 64, c2 / 64);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: embed_eval MODEL_DIR [--per-class N] [--dup N] [--seed S]\n");
    return 2;
  }
  std::string model_dir = argv[1];
  if (argc > 2 && std::string(argv[2]) == "--bench") return Bench(model_dir);
  int per_class = 60, dup = 150;
  unsigned seed = 7;
  std::string only;  // ",a,b," when --models names some
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--per-class") per_class = std::atoi(argv[i + 1]);
    if (a == "--dup") dup = std::atoi(argv[i + 1]);
    if (a == "--seed") seed = static_cast<unsigned>(std::atoi(argv[i + 1]));
    if (a == "--models") only = "," + std::string(argv[i + 1]) + ",";
  }
  std::mt19937 rng(seed);
  auto t0 = std::chrono::steady_clock::now();
  std::vector<DataSet> sets;
  sets.push_back(LoadClipart(per_class, rng));
  sets.push_back(LoadFashion(per_class, rng));
  // Near-duplicate queries: the first `dup` items of a shuffled order, four edits each.
  struct Dup {
    std::vector<Image> edited[4];
    std::vector<size_t> source;
  };
  std::vector<Dup> dups(sets.size());
  for (size_t s = 0; s < sets.size(); ++s) {
    std::vector<size_t> order(sets[s].items.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    order.resize(std::min<size_t>(order.size(), dup));
    dups[s].source = order;
    for (int k = 0; k < 4; ++k) {
      for (size_t i : order) dups[s].edited[k].push_back(Edit(sets[s].items[i].image, k));
    }
  }
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr,
               "embed_eval: %zu + %zu images (%zu + %zu classes), %d near-dup sources "
               "per set, loaded in %.1f s\n",
               sets[0].items.size(), sets[1].items.size(), sets[0].classes.size(),
               sets[1].classes.size(), dup, load_s);

  auto reg = lookalike::ModelRegistry::LoadDir(model_dir);
  if (!reg.ok()) {
    std::fprintf(stderr, "embed_eval: %s\n", reg.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "| model | dims | centred | clipart P@10 | fashion P@10 | clipart dup x0.5 / jpeg30 "
      "/ crop90 / flip | clipart dup mean | fashion dup mean |\n"
      "|---|---|---|---|---|---|---|---|\n");
  for (const lookalike::ModelManifest& base : (*reg)->List()) {
    if (!only.empty() && only.find("," + base.name + ",") == std::string::npos) continue;
    lookalike::ModelManifest m = base;
    m.center.clear();
    m.l2_normalize = true;
    auto e = lookalike::Embedder::Create(m);
    if (!e.ok()) {
      std::fprintf(stderr, "embed_eval: %s\n", e.status().ToString().c_str());
      return 1;
    }
    const size_t d = static_cast<size_t>((*e)->dims());
    auto te = std::chrono::steady_clock::now();
    size_t embedded = 0;
    // Embeddings of every set's originals and edits.
    std::vector<Matrix> db(sets.size());
    std::vector<std::array<Matrix, 4>> q(sets.size());
    for (size_t s = 0; s < sets.size(); ++s) {
      std::vector<const Image*> ptrs;
      for (const Item& it : sets[s].items) ptrs.push_back(&it.image);
      db[s] = EmbedAll(**e, ptrs);
      embedded += ptrs.size();
      for (int k = 0; k < 4; ++k) {
        std::vector<const Image*> qp;
        for (const Image& img : dups[s].edited[k]) qp.push_back(&img);
        q[s][k] = EmbedAll(**e, qp);
        embedded += qp.size();
      }
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - te).count();
    std::fprintf(stderr, "embed_eval: %s: %zu images in %.1f s (%.1f ms/image on %d instances)\n",
                 m.name.c_str(), embedded, secs, 1000 * secs / embedded, (*e)->instances());
    for (int centred = 0; centred < 2; ++centred) {
      double p10[2], top1[2][4];
      for (size_t s = 0; s < sets.size(); ++s) {
        Matrix dbs = db[s];
        std::array<Matrix, 4> qs = q[s];
        if (centred) {
          std::vector<float> mean = Mean(dbs, d);
          Center(&dbs, mean, d);
          for (auto& x : qs) Center(&x, mean, d);
        }
        std::vector<int> labels;
        for (const Item& it : sets[s].items) labels.push_back(it.label);
        p10[s] = PrecisionAt10(dbs, labels, d);
        for (int k = 0; k < 4; ++k) top1[s][k] = Top1(dbs, qs[k], dups[s].source, d);
      }
      auto mean4 = [](const double* v) { return (v[0] + v[1] + v[2] + v[3]) / 4; };
      std::printf("| %s | %zu | %s | %.3f | %.3f | %.2f / %.2f / %.2f / %.2f | %.3f | %.3f |\n",
                  m.name.c_str(), d, centred ? "yes" : "no", p10[0], p10[1], top1[0][0], top1[0][1],
                  top1[0][2], top1[0][3], mean4(top1[0]), mean4(top1[1]));
      std::fflush(stdout);
    }
  }
  return 0;
}
