// The model registry: manifests from a directory, embedders created on first use and shared.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "lookalike/embedder.h"

namespace lookalike {

namespace fs = std::filesystem;

// An entry's embedder is built under its own mutex so that loading one model (hundreds of ms)
// does not block lookups of others.
struct ModelRegistry::Entry {
  ModelManifest manifest;
  std::mutex mu;
  std::shared_ptr<Embedder> embedder;  // guarded by mu
};

ModelRegistry::~ModelRegistry() = default;

Result<std::unique_ptr<ModelRegistry>> ModelRegistry::LoadDir(const std::string& dir,
                                                              const EmbedderOptions& options,
                                                              bool allow_missing) {
  std::unique_ptr<ModelRegistry> reg(new ModelRegistry());  // private constructor
  reg->options_ = options;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (allow_missing) return reg;
    return Status::NotFound(
        "model directory " + dir +
        " does not exist (run `lookalike convert-model` or build the lookalike_models target)");
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json" && entry.is_regular_file(ec)) {
      files.push_back(entry.path().string());
    }
  }
  if (ec) return Status::IOError("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  // One bad manifest (a typo, a whitening file not made yet) must not take the other models
  // down: it is refused with its reason and the rest load.
  for (const std::string& f : files) {
    Result<ModelManifest> m = LoadModelManifest(f);
    Status st = m.ok() ? reg->Register(std::move(*m)).WithContext(f) : m.status();
    if (!st.ok()) reg->refused_.push_back(std::move(st));
  }
  if (reg->entries_.empty() && !reg->refused_.empty()) {
    std::string reasons;
    for (const Status& st : reg->refused_) reasons += (reasons.empty() ? "" : "; ") + st.message();
    return Status::InvalidArgument("no usable model manifest in " + dir + ": " + reasons);
  }
  if (reg->entries_.empty() && !allow_missing) {
    return Status::NotFound(
        "no model manifests (*.json) in " + dir +
        " (run `lookalike convert-model` or build the lookalike_models target)");
  }
  return reg;
}

Status ModelRegistry::Register(ModelManifest manifest) {
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (e->manifest.name == manifest.name) {
      return Status::AlreadyExists("model " + manifest.name + " is already registered");
    }
  }
  auto e = std::make_unique<Entry>();
  e->manifest = std::move(manifest);
  entries_.push_back(std::move(e));
  std::sort(entries_.begin(), entries_.end(),
            [](const auto& a, const auto& b) { return a->manifest.name < b->manifest.name; });
  return Status::OK();
}

std::vector<ModelManifest> ModelRegistry::List() const {
  std::lock_guard lock(mu_);
  std::vector<ModelManifest> out;
  for (const auto& e : entries_) out.push_back(e->manifest);
  return out;
}

std::string ModelRegistry::DefaultName() const {
  std::lock_guard lock(mu_);
  if (entries_.empty()) return "";
  for (const auto& e : entries_) {
    if (e->manifest.name == kDefaultModelName) return e->manifest.name;
  }
  return entries_.front()->manifest.name;
}

Result<std::shared_ptr<Embedder>> ModelRegistry::Get(std::string_view name) {
  std::string want = name.empty() ? DefaultName() : std::string(name);
  Entry* entry = nullptr;
  std::string known;
  {
    std::lock_guard lock(mu_);
    for (const auto& e : entries_) {
      if (e->manifest.name == want) entry = e.get();
      known += (known.empty() ? "" : ", ") + e->manifest.name;
    }
  }
  if (entry == nullptr) {
    return Status::NotFound("unknown model '" + want +
                            "'; known models: " + (known.empty() ? "(none)" : known));
  }
  // Entries are never removed, so the pointer stays valid outside mu_.
  std::lock_guard lock(entry->mu);
  if (!entry->embedder) {
    LOOKALIKE_ASSIGN_OR_RETURN(std::unique_ptr<Embedder> e,
                               Embedder::Create(entry->manifest, options_));
    entry->embedder = std::move(e);
  }
  return entry->embedder;
}

std::string DefaultModelDir() {
  if (const char* env = std::getenv("LOOKALIKE_MODELS"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path candidate = exe.parent_path() / "models";
    if (fs::is_directory(candidate, ec)) return candidate.string();
  }
  return "models";
}

}  // namespace lookalike
