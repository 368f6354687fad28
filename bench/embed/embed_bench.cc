// bench_embed: the image side of Lookalike (issue 4), measured in-process on one image set.
//
//   1. Embedder speed for every model in the model folder: ms per image with batch 1, the
//      image already decoded ("embed") and from the encoded file ("decode + embed"), plus the
//      throughput of EmbedBatch over all the model's network instances.
//   2. Ingest: the `ingest-images` pipeline (decode workers → batched embedding → _bulk) into an
//      engine opened in this process on a temporary data directory, images/s including the
//      final refresh.
//   3. Image queries end to end: POST /{index}/_search/image (multipart upload of an image
//      file) answered by RestServer::Handle in this process, so multipart parsing, decoding,
//      embedding, the knn search and the JSON response are timed but sockets and HTTP parsing
//      are not. Latency p50/p99 plus the server's own "embed_took" split, and how often the
//      uploaded image comes back as its own top hit (a correctness check, expected ~100%).
//   4. Thumbnails: GET /{index}/_image/{id}?size=256, first (made) and second (cached) request.
//
// Images: --images DIR (e.g. /usr/share/openclipart/png from Debian's openclipart-png; up to
// --n files are copied to a temporary folder) or, by default, --n generated JPEGs
// (--width × --height, 10 "categories" of coloured shapes on gradients, fixed seed).
//
//   bench_embed [--models DIR] [--images DIR] [--n 300] [--width 640] [--height 480]
//               [--embed-images 100] [--queries 200] [--k 10] [--model NAME]
//               [--out bench/out/embed.md]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cli/index_target.h"
#include "cli/ingest_pipeline.h"
#include "embed/model_field_embedder.h"
#include "lookalike/embedder.h"
#include "lookalike/engine.h"
#include "server/rest_server.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using lookalike::Image;

struct Args {
  std::string models;
  std::string images;
  size_t n = 300;
  int width = 640;
  int height = 480;
  size_t embed_images = 100;
  size_t queries = 200;
  int k = 10;
  std::string model;
  std::string out = "bench/out/embed.md";
};

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_embed: %s\n", what.c_str());
  std::exit(1);
}

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") return false;
    if (i + 1 >= argc) Die("missing value for " + flag);
    std::string v = argv[++i];
    auto num = [&]() -> size_t {
      char* end = nullptr;
      unsigned long long x = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0') Die("bad number for " + flag + ": " + v);
      return static_cast<size_t>(x);
    };
    if (flag == "--models")
      a->models = v;
    else if (flag == "--images")
      a->images = v;
    else if (flag == "--n")
      a->n = num();
    else if (flag == "--width")
      a->width = static_cast<int>(num());
    else if (flag == "--height")
      a->height = static_cast<int>(num());
    else if (flag == "--embed-images")
      a->embed_images = num();
    else if (flag == "--queries")
      a->queries = num();
    else if (flag == "--k")
      a->k = static_cast<int>(num());
    else if (flag == "--model")
      a->model = v;
    else if (flag == "--out")
      a->out = v;
    else
      Die("unknown flag " + flag + " (see --help)");
  }
  if (a->n < 1 || a->width < 16 || a->height < 16 || a->k < 1) Die("sizes must be positive");
  return true;
}

// A synthetic photo-sized picture: a category-coloured gradient with a few filled shapes and
// mild noise, so decoding and the network see realistic amounts of detail.
Image MakePicture(int w, int h, int category, std::mt19937& rng) {
  Image img;
  img.width = w;
  img.height = h;
  img.rgb.resize(static_cast<size_t>(w) * h * 3);
  const uint8_t base[3] = {static_cast<uint8_t>(40 + 20 * (category % 10)),
                           static_cast<uint8_t>(200 - 15 * (category % 7)),
                           static_cast<uint8_t>(90 + 37 * (category % 5))};
  std::uniform_int_distribution<int> noise(-12, 12);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &img.rgb[(static_cast<size_t>(y) * w + x) * 3];
      for (int c = 0; c < 3; ++c) {
        int v = base[c] * (w + x) / (2 * w) + (c == 2 ? y * 60 / h : 0) + noise(rng) / 3;
        p[c] = static_cast<uint8_t>(std::clamp(v, 0, 255));
      }
    }
  }
  std::uniform_int_distribution<int> px(0, w - 1), py(0, h - 1), col(0, 255);
  for (int s = 0; s < 6; ++s) {
    int cx = px(rng), cy = py(rng), r = 10 + (px(rng) % std::max(1, w / 5));
    uint8_t fill[3] = {static_cast<uint8_t>(col(rng)), static_cast<uint8_t>(col(rng)),
                       static_cast<uint8_t>((category * 53) % 256)};
    bool circle = (s + category) % 2 == 0;
    for (int y = std::max(0, cy - r); y < std::min(h, cy + r); ++y) {
      for (int x = std::max(0, cx - r); x < std::min(w, cx + r); ++x) {
        if (circle && (x - cx) * (x - cx) + (y - cy) * (y - cy) > r * r) continue;
        std::memcpy(&img.rgb[(static_cast<size_t>(y) * w + x) * 3], fill, 3);
      }
    }
  }
  return img;
}

void WriteFile(const fs::path& path, std::span<const uint8_t> bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) Die("cannot write " + path.string());
}

bool IsImageName(const fs::path& p) {
  std::string ext = p.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp" || ext == ".gif" ||
         ext == ".bmp";
}

// Fills `dir` with the image set and returns its files (category sub-folders). Describes the
// set in *what.
std::vector<fs::path> PrepareImages(const Args& a, const fs::path& dir, std::string* what) {
  std::vector<fs::path> files;
  if (!a.images.empty()) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(a.images, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file() && IsImageName(it->path())) found.push_back(it->path());
    }
    if (found.empty()) Die("no images below " + a.images);
    std::sort(found.begin(), found.end());
    // An even spread over the (sorted, so category-grouped) files.
    size_t take = std::min(a.n, found.size());
    for (size_t i = 0; i < take; ++i) {
      const fs::path& src = found[i * found.size() / take];
      fs::path cat = dir / src.parent_path().filename();
      fs::create_directories(cat);
      fs::path dst = cat / (std::to_string(i) + "_" + src.filename().string());
      fs::copy_file(src, dst, fs::copy_options::overwrite_existing, ec);
      if (ec) Die("cannot copy " + src.string() + ": " + ec.message());
      files.push_back(dst);
    }
    *what = std::to_string(files.size()) + " files from " + a.images;
    return files;
  }
  std::mt19937 rng(42);
  for (size_t i = 0; i < a.n; ++i) {
    int category = static_cast<int>(i % 10);
    fs::path cat = dir / ("cat" + std::to_string(category));
    fs::create_directories(cat);
    auto jpeg = lookalike::EncodeThumbnailJpeg(MakePicture(a.width, a.height, category, rng),
                                               std::max(a.width, a.height), 90);
    if (!jpeg.ok()) Die(jpeg.status().ToString());
    fs::path path = cat / ("img" + std::to_string(i) + ".jpg");
    WriteFile(path, *jpeg);
    files.push_back(path);
  }
  *what = std::to_string(a.n) + " generated " + std::to_string(a.width) + "×" +
          std::to_string(a.height) + " JPEGs (quality 90, 10 categories, seed 42)";
  return files;
}

std::vector<uint8_t> ReadAll(const fs::path& p) {
  auto bytes = lookalike::ReadFileLimited(p.string(), 64ull << 20);
  if (!bytes.ok()) Die(bytes.status().ToString());
  return std::move(bytes).value();
}

struct ModelRow {
  std::string name;
  int dims = 0;
  int input = 0;
  int instances = 0;
  double load_ms = 0;
  double decode_p50 = 0;
  double embed_p50 = 0, embed_mean = 0;
  double both_p50 = 0, both_mean = 0;
  double batch_ms_per_image = 0;
};

ModelRow MeasureModel(lookalike::ModelRegistry& registry, const lookalike::ModelManifest& m,
                      const std::vector<std::vector<uint8_t>>& encoded,
                      const std::vector<Image>& decoded) {
  ModelRow row;
  row.name = m.name;
  row.dims = m.dims;
  row.input = m.input_width;
  auto t0 = Clock::now();
  auto embedder = registry.Get(m.name);
  if (!embedder.ok()) Die(embedder.status().ToString());
  row.load_ms = Ms(t0, Clock::now());
  row.instances = (*embedder)->instances();
  for (size_t i = 0; i < std::min<size_t>(3, decoded.size()); ++i) {  // warm-up
    if (!(*embedder)->Embed(decoded[i]).ok()) Die("embedding failed");
  }
  std::vector<double> embed, both, decode;
  for (const Image& img : decoded) {
    auto a = Clock::now();
    auto v = (*embedder)->Embed(img);
    embed.push_back(Ms(a, Clock::now()));
    if (!v.ok()) Die(v.status().ToString());
  }
  for (const auto& bytes : encoded) {
    auto a = Clock::now();
    auto img = lookalike::DecodeImage(bytes);
    auto b = Clock::now();
    if (!img.ok()) Die(img.status().ToString());
    auto v = (*embedder)->Embed(*img);
    both.push_back(Ms(a, Clock::now()));
    decode.push_back(Ms(a, b));
    if (!v.ok()) Die(v.status().ToString());
  }
  std::vector<const Image*> ptrs;
  for (const Image& img : decoded) ptrs.push_back(&img);
  std::vector<float> out(ptrs.size() * static_cast<size_t>(m.dims));
  auto b0 = Clock::now();
  lookalike::Status st = (*embedder)->EmbedBatch(ptrs, out);
  double batch_ms = Ms(b0, Clock::now());
  if (!st.ok()) Die(st.ToString());
  row.decode_p50 = Percentile(decode, 50);
  row.embed_p50 = Percentile(embed, 50);
  row.embed_mean = Mean(embed);
  row.both_p50 = Percentile(both, 50);
  row.both_mean = Mean(both);
  row.batch_ms_per_image = batch_ms / static_cast<double>(ptrs.size());
  return row;
}

std::string MultipartBody(const std::string& boundary, std::span<const uint8_t> file,
                          const std::string& filename, int k) {
  std::string body;
  body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
          filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
  body.append(reinterpret_cast<const char*>(file.data()), file.size());
  body += "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\n" +
          std::to_string(k) + "\r\n--" + boundary + "--\r\n";
  return body;
}

// The first "_id" in a search response and the value of "embed_took" (cheap string scans; the
// bench must not add a JSON parser's time to what it measures, so this runs after timing).
std::string FirstId(const std::string& body) {
  size_t p = body.find("\"_id\":\"");
  if (p == std::string::npos) return "";
  p += 7;
  return body.substr(p, body.find('"', p) - p);
}

double EmbedTook(const std::string& body) {
  size_t p = body.find("\"embed_took\":");
  return p == std::string::npos ? 0 : std::atof(body.c_str() + p + 13);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!ParseArgs(argc, argv, &a)) {
    std::printf(
        "bench_embed [--models DIR] [--images DIR] [--n 300] [--width 640] [--height 480]\n"
        "            [--embed-images 100] [--queries 200] [--k 10] [--model NAME]\n"
        "            [--out bench/out/embed.md]\n");
    return 0;
  }
  std::string models_dir = a.models.empty() ? lookalike::DefaultModelDir() : a.models;
  auto registry = lookalike::ModelRegistry::LoadDir(models_dir, {}, /*allow_missing=*/true);
  if (!registry.ok()) Die(registry.status().ToString());
  std::vector<lookalike::ModelManifest> manifests = (*registry)->List();

  std::ostringstream md;
  md << "# bench_embed\n\n";
  std::string cmdline;
  for (int i = 0; i < argc; ++i) cmdline += (i ? " " : "") + std::string(argv[i]);
  md << "Command: `" << cmdline << "`  \nMachine: " << std::thread::hardware_concurrency()
     << " hardware threads; models from `" << models_dir << "`.\n\n";
  if (manifests.empty()) {
    md << "No models in " << models_dir
       << " (build the `lookalike_models` target or pass --models); nothing measured.\n";
    std::printf("%s", md.str().c_str());
    fs::create_directories(fs::path(a.out).parent_path());
    std::ofstream(a.out) << md.str();
    return 0;
  }

  fs::path work =
      fs::temp_directory_path() / ("lookalike_bench_embed_" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::path image_dir = work / "images";
  fs::create_directories(image_dir);
  std::string what;
  std::vector<fs::path> files = PrepareImages(a, image_dir, &what);
  md << "Images: " << what << ".\n\n";
  std::fprintf(stderr, "bench_embed: %s in %s\n", what.c_str(), image_dir.c_str());

  // 1. Embedder speed per model.
  std::vector<std::vector<uint8_t>> encoded;
  std::vector<Image> decoded;
  for (size_t i = 0; i < std::min(a.embed_images, files.size()); ++i) {
    encoded.push_back(ReadAll(files[i]));
    auto img = lookalike::DecodeImage(encoded.back());
    if (!img.ok()) Die(files[i].string() + ": " + img.status().ToString());
    decoded.push_back(std::move(img).value());
  }
  md << "## Embedder, per image (" << decoded.size() << " images, one thread per call)\n\n"
     << "`embed` = Embedder::Embed on an already decoded image (resize, normalise, forward "
        "pass, pooling, L2); `decode + embed` starts from the encoded file bytes in memory. "
        "`EmbedBatch` = wall time of one EmbedBatch over all images divided by their number "
        "(batches spread over the model's network instances, i.e. all cores).\n\n"
     << "| model | dims | input | decode p50 ms | embed p50 ms | embed mean ms | decode + "
        "embed p50 ms | decode + embed mean ms | EmbedBatch ms/image (instances) | load ms |\n"
     << "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& m : manifests) {
    std::fprintf(stderr, "bench_embed: model %s\n", m.name.c_str());
    ModelRow r = MeasureModel(**registry, m, encoded, decoded);
    md << "| " << r.name << " | " << r.dims << " | " << r.input << " | "
       << Fmt("%.2f", r.decode_p50) << " | " << Fmt("%.2f", r.embed_p50) << " | "
       << Fmt("%.2f", r.embed_mean) << " | " << Fmt("%.2f", r.both_p50) << " | "
       << Fmt("%.2f", r.both_mean) << " | " << Fmt("%.2f", r.batch_ms_per_image) << " ("
       << r.instances << ") | " << Fmt("%.0f", r.load_ms) << " |\n";
  }

  // 2. Ingest through the ingest-images pipeline into an in-process engine.
  std::string model = a.model.empty() ? (*registry)->DefaultName() : a.model;
  auto embedder = (*registry)->Get(model);
  if (!embedder.ok()) Die(embedder.status().ToString());
  std::string data_dir = (work / "data").string();
  lookalike::cli::IngestOptions io;
  io.dir = image_dir.string();
  io.index = "bench";
  auto t0 = Clock::now();
  {
    auto target = lookalike::cli::OpenLocalTarget(data_dir);
    if (!target.ok()) Die(target.status().ToString());
    auto report = lookalike::cli::IngestImages(io, **embedder, **target, nullptr);
    if (!report.ok()) Die(report.status().ToString());
    double s = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto& p = report->progress;
    md << "\n## Ingest (`ingest-images` pipeline, engine in-process)\n\n"
       << "Model " << model << ", batch " << io.batch << ", decode threads = hardware threads; "
       << "time from opening the data directory to the end of the final refresh (HNSW built).\n\n"
       << "| images | indexed | failed | seconds | images/s |\n|---:|---:|---:|---:|---:|\n"
       << "| " << p.total << " | " << p.indexed << " | " << p.failed << " | " << Fmt("%.2f", s)
       << " | " << Fmt("%.1f", static_cast<double>(p.indexed) / s) << " |\n";
    if (p.indexed == 0) Die("nothing was indexed");
  }  // the target shuts the engine down (snapshots written)

  // 3. Image queries end to end through RestServer::Handle.
  lookalike::EngineOptions eo;
  eo.data_dir = data_dir;
  lookalike::embed::ModelFieldEmbedderOptions embed_options;  // the engine embeds the uploads
  embed_options.models = registry->get();
  embed_options.image_roots = {image_dir.string()};
  eo.embedder = std::make_shared<lookalike::embed::ModelFieldEmbedder>(std::move(embed_options));
  auto engine = lookalike::Engine::Open(eo);
  if (!engine.ok()) Die(engine.status().ToString());
  std::vector<double> total, embed_took, thumb_cold, thumb_warm;
  size_t self_top1 = 0, errors = 0;
  {
    lookalike::server::RestServerOptions so;
    so.image.models = registry->get();
    so.image.image_roots = {image_dir.string()};
    so.image.thumbnail_dir = data_dir + "/thumbnails";  // as `lookalike serve` sets it
    lookalike::server::RestServer server(engine->get(), so);
    // Document ids are the hash of the path relative to the folder (see ingest_pipeline.h).
    std::vector<std::pair<std::vector<uint8_t>, std::string>> queries;
    for (size_t i = 0; i < std::min(a.queries, files.size()); ++i) {
      size_t f = i * files.size() / std::min(a.queries, files.size());
      std::string rel = fs::relative(files[f], image_dir).string();
      queries.emplace_back(ReadAll(files[f]), lookalike::cli::Hex64(lookalike::cli::Hash64(rel)));
    }
    const std::string boundary = "----lookalikebench7MA4YWxkTrZu0gW";
    for (size_t i = 0; i < a.queries; ++i) {
      const auto& [bytes, id] = queries[i % queries.size()];
      lookalike::server::HttpRequest req;
      req.method = "POST";
      req.path = "/bench/_search/image";
      req.target = req.path;
      req.headers.emplace_back("content-type", "multipart/form-data; boundary=" + boundary);
      lookalike::server::HttpResponse resp;
      auto q0 = Clock::now();
      // Building the upload body is part of what a client does per query; count it.
      req.body = MultipartBody(boundary, bytes, "q.jpg", a.k);
      server.Handle(req, &resp);
      total.push_back(Ms(q0, Clock::now()));
      if (resp.status != 200) {
        if (errors++ == 0) std::fprintf(stderr, "bench_embed: query: %s\n", resp.body.c_str());
        continue;
      }
      embed_took.push_back(EmbedTook(resp.body));
      self_top1 += FirstId(resp.body) == id;
    }
    // Thumbnails for the page's grid: the first request makes one (read, decode, resize,
    // encode, write to disk), the second is a memory hit.
    for (const auto& q : queries) {
      lookalike::server::HttpRequest req;
      req.method = "GET";
      req.path = "/bench/_image/" + q.second;
      req.query.emplace_back("size", "256");
      req.target = req.path + "?size=256";
      for (auto* sink : {&thumb_cold, &thumb_warm}) {
        lookalike::server::HttpResponse resp;
        auto t = Clock::now();
        server.Handle(req, &resp);
        sink->push_back(Ms(t, Clock::now()));
        if (resp.status != 200 && errors++ == 0) {
          std::fprintf(stderr, "bench_embed: thumbnail: %s\n", resp.body.c_str());
        }
      }
    }
  }
  (*engine)->Shutdown();
  md << "\n## Image query, end to end (upload → results)\n\n"
     << "POST /bench/_search/image (multipart: the image file + k=" << a.k << ") answered by "
     << "RestServer::Handle in this process: multipart parsing, decode, embed (" << model
     << "), HNSW knn search, fetching the hits' _source and writing the JSON response. Sockets "
        "and HTTP parsing are not included. One client, queries are images of the indexed set "
        "(file bytes as stored). `embed_took` is the server's own decode + embed time.\n\n"
     << "| queries | errors | p50 ms | p99 ms | mean ms | embed_took p50 ms | rest p50 ms | "
        "QPS (1 client) | self top-1 |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  double p50 = Percentile(total, 50), e50 = Percentile(embed_took, 50);
  md << "| " << total.size() << " | " << errors << " | " << Fmt("%.2f", p50) << " | "
     << Fmt("%.2f", Percentile(total, 99)) << " | " << Fmt("%.2f", Mean(total)) << " | "
     << Fmt("%.1f", e50) << " | " << Fmt("%.2f", p50 - e50) << " | "
     << Fmt("%.1f", total.empty() ? 0 : 1000.0 / Mean(total)) << " | "
     << Fmt("%.1f%%", embed_took.empty() ? 0 : 100.0 * self_top1 / embed_took.size()) << " |\n";

  md << "\n## Thumbnails (GET /bench/_image/{id}?size=256, RestServer::Handle)\n\n"
     << "First request per image makes the thumbnail (document lookup, root check, read, "
        "decode, area resize, JPEG encode, disk write); the second is a memory-cache hit.\n\n"
     << "| images | first p50 ms | first p99 ms | cached p50 ms | cached p99 ms |\n"
     << "|---:|---:|---:|---:|---:|\n| " << thumb_cold.size() << " | "
     << Fmt("%.2f", Percentile(thumb_cold, 50)) << " | " << Fmt("%.2f", Percentile(thumb_cold, 99))
     << " | " << Fmt("%.3f", Percentile(thumb_warm, 50)) << " | "
     << Fmt("%.3f", Percentile(thumb_warm, 99)) << " |\n";

  fs::remove_all(work);
  std::printf("%s", md.str().c_str());
  if (fs::path(a.out).has_parent_path()) fs::create_directories(fs::path(a.out).parent_path());
  std::ofstream out(a.out);
  out << md.str();
  if (!out) Die("cannot write " + a.out);
  std::fprintf(stderr, "bench_embed: wrote %s\n", a.out.c_str());
  return errors == 0 ? 0 : 1;
}
