// Image subcommands. `embed FILE…` prints one vector per file for users who bring their own
// index; ingest-images and search-image join here once the engine exists.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/json_writer.h"
#include "lookalike/embedder.h"

namespace lookalike::cli {
namespace {

struct EmbedArgs {
  std::vector<std::string> files;
  std::string model;
  std::string models_dir;
  std::string format = "json";
  int threads = 0;
};

// Decodes and embeds in groups so that memory stays bounded for long file lists while each
// group still spreads over all network instances.
int RunEmbed(const EmbedArgs& args) {
  std::string dir = args.models_dir.empty() ? DefaultModelDir() : args.models_dir;
  EmbedderOptions options;
  options.instances = args.threads;
  Result<std::unique_ptr<ModelRegistry>> reg = ModelRegistry::LoadDir(dir, options);
  if (!reg.ok()) {
    std::fprintf(stderr, "lookalike embed: %s\n", reg.status().ToString().c_str());
    return 2;
  }
  Result<std::shared_ptr<Embedder>> emb = (*reg)->Get(args.model);
  if (!emb.ok()) {
    std::fprintf(stderr, "lookalike embed: %s\n", emb.status().ToString().c_str());
    return 2;
  }
  Embedder& e = **emb;
  const bool raw = args.format == "raw";
  const size_t dims = static_cast<size_t>(e.dims());
  constexpr size_t kGroup = 64;
  int failed = 0;
  for (size_t start = 0; start < args.files.size(); start += kGroup) {
    size_t end = std::min(args.files.size(), start + kGroup);
    std::vector<Image> images;
    std::vector<const std::string*> names;
    for (size_t i = start; i < end; ++i) {
      Result<Image> img = DecodeImageFile(args.files[i]);
      if (!img.ok()) {
        std::fprintf(stderr, "lookalike embed: skipped %s\n", img.status().ToString().c_str());
        ++failed;
        continue;
      }
      images.push_back(std::move(img).value());
      names.push_back(&args.files[i]);
    }
    std::vector<const Image*> ptrs;
    for (const Image& img : images) ptrs.push_back(&img);
    std::vector<float> out(ptrs.size() * dims);
    Status st = e.EmbedBatch(ptrs, out);
    if (!st.ok()) {
      std::fprintf(stderr, "lookalike embed: %s\n", st.ToString().c_str());
      return 1;
    }
    for (size_t i = 0; i < ptrs.size(); ++i) {
      const float* v = &out[i * dims];
      if (raw) {
        std::fwrite(v, sizeof(float), dims, stdout);
        continue;
      }
      JsonWriter w;
      w.BeginObject().Key("path").String(*names[i]).Key("model").String(e.manifest().name);
      w.Key("width").Int(images[i].width).Key("height").Int(images[i].height);
      w.Key("vector").BeginArray();
      for (size_t k = 0; k < dims; ++k) w.Float(v[k]);
      w.EndArray().EndObject();
      std::string line = w.Take();
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
  }
  std::fflush(stdout);
  if (failed > 0) {
    std::fprintf(stderr, "lookalike embed: %d of %zu files could not be embedded\n", failed,
                 args.files.size());
    return 1;
  }
  return 0;
}

}  // namespace

void AddImageCommands(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<EmbedArgs>();
  auto* cmd = app.add_subcommand(
      "embed",
      "Print the embedding of each image: JSON lines (path, model, width, height, vector) "
      "or raw little-endian float32 rows (--format raw; unreadable files are skipped and "
      "reported on stderr)");
  cmd->add_option("files", args->files, "image files (JPEG, PNG, WebP, GIF, BMP)")->required();
  cmd->add_option("--model", args->model, "model name (default: the registry's default)");
  cmd->add_option("--models,--models-dir", args->models_dir,
                  "directory of model manifests (default: $LOOKALIKE_MODELS or build/models)");
  cmd->add_option("--format", args->format, "json or raw")->check(CLI::IsMember({"json", "raw"}));
  cmd->add_option("--threads", args->threads, "network instances (default: cores)");
  cmd->callback([args, exit_code] { *exit_code = RunEmbed(*args); });
}

}  // namespace lookalike::cli
