// Model manifest parsing (simdjson DOM). Unknown keys are ignored so that manifests can carry
// notes (provenance, measured quality) without breaking older binaries.
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "embed/descriptor.h"
#include "lookalike/embedder.h"

namespace lookalike {
namespace {

namespace fs = std::filesystem;
using simdjson::dom::element;
using simdjson::dom::object;

Status Bad(std::string_view field, std::string_view why) {
  return Status::InvalidArgument("model manifest: \"" + std::string(field) + "\" " +
                                 std::string(why));
}

// Field readers: a missing optional field leaves *out unchanged.
Status GetString(object o, std::string_view key, std::string* out, bool required) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS) {
    return required ? Bad(key, "is missing") : Status::OK();
  }
  std::string_view v;
  if (e.get(v) != simdjson::SUCCESS) return Bad(key, "must be a string");
  *out = std::string(v);
  return Status::OK();
}

Status GetNumber(object o, std::string_view key, double* out, bool required) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS) {
    return required ? Bad(key, "is missing") : Status::OK();
  }
  double v;
  if (e.get(v) != simdjson::SUCCESS || !std::isfinite(v)) return Bad(key, "must be a number");
  *out = v;
  return Status::OK();
}

Status GetInt(object o, std::string_view key, int* out, bool required, int lo, int hi) {
  double v = *out;
  LOOKALIKE_RETURN_IF_ERROR(GetNumber(o, key, &v, required));
  if (v != std::floor(v) || v < lo || v > hi) {
    return Bad(key,
               "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  *out = static_cast<int>(v);
  return Status::OK();
}

Status GetTriple(object o, std::string_view key, float out[3]) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS) return Status::OK();
  simdjson::dom::array a;
  if (e.get(a) != simdjson::SUCCESS || a.size() != 3) {
    return Bad(key, "must be an array of 3 numbers");
  }
  int i = 0;
  for (element x : a) {
    double v;
    if (x.get(v) != simdjson::SUCCESS || !std::isfinite(v)) {
      return Bad(key, "must be an array of 3 numbers");
    }
    out[i++] = static_cast<float>(v);
  }
  return Status::OK();
}

Status GetObject(object o, std::string_view key, object* out) {
  element e;
  if (o[key].get(e) != simdjson::SUCCESS) return Bad(key, "is missing");
  if (e.get(*out) != simdjson::SUCCESS) return Bad(key, "must be an object");
  return Status::OK();
}

bool ValidName(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string Resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute() || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

// A centre vector is raw little-endian float32, `dims` of them.
Status LoadCenter(const std::string& path, int dims, std::vector<float>* out) {
  Result<std::vector<uint8_t>> bytes = ReadFileLimited(path, 64u << 20);
  if (!bytes.ok()) return Bad("center", "file cannot be read: " + bytes.status().message());
  if (bytes->size() != static_cast<size_t>(dims) * sizeof(float)) {
    return Bad("center", "file " + path + " must hold " + std::to_string(dims) + " float32");
  }
  out->resize(dims);
  std::memcpy(out->data(), bytes->data(), bytes->size());
  for (float v : *out) {
    if (!std::isfinite(v)) return Bad("center", "file " + path + " holds NaN or Inf");
  }
  return Status::OK();
}

// A whitening file whose input length must be the network's channel count.
Status LoadWhitening(const std::string& path, int channels, ModelManifest* m) {
  Result<std::vector<uint8_t>> bytes = ReadFileLimited(path, 1ull << 30);
  if (!bytes.ok()) return Bad("whiten", "file cannot be read: " + bytes.status().message());
  Result<Whitening> w = embed::DecodeWhitening(*bytes);
  if (!w.ok()) return Bad("whiten", "file " + path + ": " + w.status().message());
  if (w->in_dims != channels) {
    return Bad("whiten", "file " + path + " whitens " + std::to_string(w->in_dims) +
                             "-d vectors, the output has " + std::to_string(channels));
  }
  m->whiten_file = path;
  m->whitening = std::make_shared<const Whitening>(std::move(*w));
  return Status::OK();
}

Status GetScales(object o, std::vector<float>* out) {
  element e;
  if (o["scales"].get(e) != simdjson::SUCCESS) return Status::OK();
  simdjson::dom::array a;
  constexpr const char* kWhy = "must be an array of 1 to 4 numbers in [0.25, 4]";
  if (e.get(a) != simdjson::SUCCESS || a.size() < 1 || a.size() > 4) return Bad("scales", kWhy);
  for (element x : a) {
    double v;
    if (x.get(v) != simdjson::SUCCESS || !(v >= 0.25 && v <= 4)) return Bad("scales", kWhy);
    out->push_back(static_cast<float>(v));
  }
  return Status::OK();
}

Status ParseOutput(object out, const std::string& base_dir, ModelManifest* m) {
  LOOKALIKE_RETURN_IF_ERROR(GetString(out, "name", &m->output_name, true));
  LOOKALIKE_RETURN_IF_ERROR(GetInt(out, "dims", &m->channels, true, 1, 65536));
  m->dims = m->channels;
  std::string pooling = "none", normalize = "l2", center, whiten;
  LOOKALIKE_RETURN_IF_ERROR(GetString(out, "pooling", &pooling, false));
  if (pooling == "none") {
    m->pooling = Pooling::kNone;
  } else if (pooling == "avg") {
    m->pooling = Pooling::kAverage;
  } else if (pooling == "max") {
    m->pooling = Pooling::kMax;
  } else if (pooling == "gem") {
    m->pooling = Pooling::kGem;
  } else if (pooling == "rmac") {
    m->pooling = Pooling::kRmac;
  } else {
    return Bad("pooling", "must be \"none\", \"avg\", \"max\", \"gem\" or \"rmac\"");
  }
  double gem_p = m->gem_p;
  LOOKALIKE_RETURN_IF_ERROR(GetNumber(out, "gem_p", &gem_p, false));
  if (!(gem_p >= 1 && gem_p <= 64)) return Bad("gem_p", "must be a number in [1, 64]");
  m->gem_p = static_cast<float>(gem_p);
  LOOKALIKE_RETURN_IF_ERROR(GetScales(out, &m->scales));
  if (m->pooling == Pooling::kNone && !m->scales.empty()) {
    return Bad("scales", "needs a pooled feature map (pooling other than \"none\")");
  }
  LOOKALIKE_RETURN_IF_ERROR(GetString(out, "normalize", &normalize, false));
  if (normalize != "l2" && normalize != "none") {
    return Bad("normalize", "must be \"l2\" or \"none\"");
  }
  m->l2_normalize = normalize == "l2";
  LOOKALIKE_RETURN_IF_ERROR(GetString(out, "center", &center, false));
  if (!center.empty()) {
    LOOKALIKE_RETURN_IF_ERROR(LoadCenter(Resolve(base_dir, center), m->channels, &m->center));
  }
  LOOKALIKE_RETURN_IF_ERROR(GetString(out, "whiten", &whiten, false));
  if (!whiten.empty()) {
    LOOKALIKE_RETURN_IF_ERROR(LoadWhitening(Resolve(base_dir, whiten), m->channels, m));
    m->dims = m->whitening->out_dims;
  }
  return Status::OK();
}

}  // namespace

int ScaledInputSide(int side, float scale) {
  int scaled = static_cast<int>(std::lround(side * static_cast<double>(scale) / 32.0)) * 32;
  return std::max(32, scaled);
}

Result<ModelManifest> ParseModelManifest(std::string_view json, const std::string& base_dir) {
  simdjson::dom::parser parser;
  element doc;
  if (parser.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS) {
    return Status::InvalidArgument("model manifest: not valid JSON");
  }
  object root;
  if (doc.get(root) != simdjson::SUCCESS) {
    return Status::InvalidArgument("model manifest: must be a JSON object");
  }
  ModelManifest m;
  LOOKALIKE_RETURN_IF_ERROR(GetString(root, "name", &m.name, true));
  if (!ValidName(m.name)) return Bad("name", "must match [a-z0-9_.-]{1,64}");
  LOOKALIKE_RETURN_IF_ERROR(GetString(root, "description", &m.description, false));
  LOOKALIKE_RETURN_IF_ERROR(GetString(root, "file", &m.file, true));
  if (m.file.empty()) return Bad("file", "must not be empty");
  m.file = Resolve(base_dir, m.file);
  LOOKALIKE_RETURN_IF_ERROR(GetInt(root, "batch_size", &m.batch_size, false, 1, 256));
  LOOKALIKE_RETURN_IF_ERROR(GetInt(root, "version", &m.version, false, 1, 1'000'000));

  object in;
  LOOKALIKE_RETURN_IF_ERROR(GetObject(root, "input", &in));
  LOOKALIKE_RETURN_IF_ERROR(GetString(in, "name", &m.input_name, false));
  LOOKALIKE_RETURN_IF_ERROR(GetInt(in, "width", &m.input_width, true, 8, 4096));
  LOOKALIKE_RETURN_IF_ERROR(GetInt(in, "height", &m.input_height, true, 8, 4096));
  std::string color = "rgb";
  LOOKALIKE_RETURN_IF_ERROR(GetString(in, "color", &color, false));
  if (color != "rgb" && color != "bgr") return Bad("color", "must be \"rgb\" or \"bgr\"");
  m.bgr = color == "bgr";
  double scale = m.scale;
  LOOKALIKE_RETURN_IF_ERROR(GetNumber(in, "scale", &scale, false));
  m.scale = static_cast<float>(scale);
  LOOKALIKE_RETURN_IF_ERROR(GetTriple(in, "mean", m.mean));
  LOOKALIKE_RETURN_IF_ERROR(GetTriple(in, "std", m.std));
  for (float s : m.std) {
    if (s == 0) return Bad("std", "must not contain 0");
  }
  std::string resize = "area", crop = "none";
  LOOKALIKE_RETURN_IF_ERROR(GetString(in, "resize", &resize, false));
  LOOKALIKE_RETURN_IF_ERROR(GetString(in, "crop", &crop, false));
  if (resize == "area") {
    m.resize = ResizeMode::kArea;
  } else if (resize == "bilinear") {
    m.resize = ResizeMode::kBilinear;
  } else {
    return Bad("resize", "must be \"area\" or \"bilinear\"");
  }
  if (crop == "none") {
    m.crop = CropMode::kNone;
  } else if (crop == "center") {
    m.crop = CropMode::kCenter;
  } else {
    return Bad("crop", "must be \"none\" or \"center\"");
  }

  object out;
  LOOKALIKE_RETURN_IF_ERROR(GetObject(root, "output", &out));
  LOOKALIKE_RETURN_IF_ERROR(ParseOutput(out, base_dir, &m));
  return m;
}

Result<ModelManifest> LoadModelManifest(const std::string& path) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileLimited(path, 1u << 20));
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  Result<ModelManifest> m = ParseModelManifest(text, fs::path(path).parent_path().string());
  if (!m.ok()) return m.status().WithContext(path);
  return m;
}

}  // namespace lookalike
