// Writes the binary seeds of the fuzz corpora: tiny images of every supported format and
// variant, and small index snapshots of each kind and code type. The text seeds (HTTP, JSON,
// NDJSON, multipart) are written by hand and live beside them.
//
// Usage: fuzz_make_seeds <corpus dir>   (tests/fuzz/corpus)
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "lookalike/vector_index.h"
#include "test_images.h"

namespace {

using lookalike::testing::Bytes;

void Write(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

void WriteImages(const std::string& dir) {
  using namespace lookalike::testing;
  std::vector<uint8_t> rgb = PatternRgb(6, 5);
  std::vector<uint8_t> rgba;
  for (size_t i = 0; i < rgb.size(); i += 3) {
    rgba.insert(rgba.end(), {rgb[i], rgb[i + 1], rgb[i + 2], static_cast<uint8_t>(i * 7)});
  }
  Bytes png = Encode(".png", rgb, 6, 5, 3);
  Bytes jpg = Encode(".jpg", rgb, 6, 5, 3, {1 /*IMWRITE_JPEG_QUALITY*/, 50});
  Bytes webp = Encode(".webp", rgb, 6, 5, 3);
  Write(dir + "/tiny.png", png);
  Write(dir + "/alpha.png", Encode(".png", rgba, 6, 5, 4));
  Write(dir + "/tiny.jpg", jpg);
  Write(dir + "/progressive.jpg", Encode(".jpg", rgb, 6, 5, 3, {2 /*PROGRESSIVE*/, 1}));
  Write(dir + "/tiny.webp", webp);
  Write(dir + "/lossless.webp", Encode(".webp", rgba, 6, 5, 4, {64 /*WEBP_QUALITY*/, 101}));
  Write(dir + "/tiny.bmp", Encode(".bmp", rgb, 6, 5, 3));
  Write(dir + "/tiny.gif", MakeGif(6, 5, 1, false));
  Write(dir + "/anim_transparent.gif", MakeGif(4, 4, 2, true));
  Write(dir + "/cmyk.jpg", CmykJpeg(4, 4));
  Write(dir + "/exif6.jpg", WithExifOrientation(jpg, 6));
  Write(dir + "/exif3.png", PngWithExifOrientation(png, 3));
  Write(dir + "/exif8.webp", WebpWithExifOrientation(webp, 6, 5, 8));
  Write(dir + "/bomb_header.png", PngHeaderOnly(100000, 100000));
}

// Index seeds carry the target's mode byte first (bit 0: mmap the vectors).
void WriteIndexSeed(const lookalike::VectorIndex& index, const std::string& tmp,
                    const std::vector<std::string>& outputs) {
  if (!index.Save(tmp).ok()) {
    std::fprintf(stderr, "cannot save %s\n", tmp.c_str());
    std::exit(1);
  }
  std::ifstream in(tmp, std::ios::binary);
  Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const std::string& out : outputs) {
    for (uint8_t mode : {0, 1}) {
      Bytes seed{mode};
      seed.insert(seed.end(), file.begin(), file.end());
      Write(out + (mode ? "_mmap" : "_read"), seed);
    }
  }
  std::remove(tmp.c_str());
}

void AddVectors(lookalike::VectorIndex* index, size_t n, size_t dim) {
  std::vector<float> v(dim);
  for (size_t i = 0; i < n; ++i) {
    for (size_t d = 0; d < dim; ++d) v[d] = static_cast<float>((i * 7 + d * 3) % 11) - 5.0f;
    v[0] += 0.5f;  // never the zero vector (cosine)
    if (!index->Add(i + 1, v.data()).ok()) std::exit(1);
  }
  if (n > 2) (void)index->Remove(2);  // a tombstone
}

void WriteIndices(const std::string& corpus) {
  using namespace lookalike;
  const std::string tmp = corpus + "/.seed.tmp";
  auto flat = CreateFlatIndex(4, Metric::kL2);
  AddVectors(flat.value().get(), 9, 4);
  WriteIndexSeed(*flat.value(), tmp, {corpus + "/flat_load/l2_9", corpus + "/load_index/flat"});
  auto flat_cos = CreateFlatIndex(3, Metric::kCosine);
  AddVectors(flat_cos.value().get(), 3, 3);
  WriteIndexSeed(*flat_cos.value(), tmp, {corpus + "/flat_load/cos_3"});
  auto empty = CreateFlatIndex(2, Metric::kInnerProduct);
  WriteIndexSeed(*empty.value(), tmp, {corpus + "/flat_load/ip_empty"});

  for (CodeType code : {CodeType::kFloat32, CodeType::kFloat16, CodeType::kInt8,
                        CodeType::kBinary}) {
    HnswParams params;
    params.m = 4;
    params.ef_construction = 16;
    params.code = code;
    params.build_threads = 1;
    Metric metric = code == CodeType::kBinary ? Metric::kCosine : Metric::kL2;
    auto hnsw = CreateHnswIndex(4, metric, params);
    AddVectors(hnsw.value().get(), 24, 4);
    std::string name(CodeTypeName(code));
    std::vector<std::string> outs{corpus + "/hnsw_load/" + name};
    if (code == CodeType::kInt8) outs.push_back(corpus + "/load_index/hnsw_int8");
    WriteIndexSeed(*hnsw.value(), tmp, outs);
  }
  HnswParams params;
  params.m = 2;
  params.build_threads = 1;
  auto single = CreateHnswIndex(2, Metric::kInnerProduct, params);
  AddVectors(single.value().get(), 1, 2);
  WriteIndexSeed(*single.value(), tmp, {corpus + "/hnsw_load/single_ip"});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir>\n", argv[0]);
    return 2;
  }
  std::string corpus = argv[1];
  WriteImages(corpus + "/image_decode");
  WriteIndices(corpus);
  return 0;
}
