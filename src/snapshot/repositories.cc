#include "snapshot/repositories.h"

#include <simdjson.h>

#include <filesystem>
#include <optional>

#include "common/file_env.h"
#include "common/json_writer.h"
#include "snapshot/snapshot_ops.h"

namespace lookalike::snapshot {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMaxFileBytes = 16 << 20;

Status RepositoryError(const std::string& repository, const std::string& why) {
  return Status::InvalidArgument("[" + repository + "] " + why)
      .WithKind(ErrorKind::kRepositoryInvalid);
}

std::string Canonical(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? fs::absolute(path).lexically_normal().string() : p.string();
}

bool Under(const std::string& path, const std::string& root) {
  if (path == root) return true;
  std::string prefix = root.ends_with('/') ? root : root + "/";
  return path.starts_with(prefix);
}

}  // namespace

Status RepositoryMissing(const std::string& name) {
  return Status::NotFound("[" + name + "] missing").WithKind(ErrorKind::kRepositoryMissing);
}

Result<std::string> ResolveRepositoryLocation(const std::vector<std::string>& roots,
                                              const std::string& repository,
                                              const std::string& location) {
  if (location.empty()) return RepositoryError(repository, "missing location");
  if (roots.empty()) {
    return RepositoryError(repository, "location [" + location +
                                           "] doesn't match any of the locations specified by "
                                           "path.repo because this setting is empty");
  }
  std::string path = location.front() == '/' ? location : roots.front() + "/" + location;
  std::string resolved = Canonical(path);
  std::string listed;
  for (const std::string& root : roots) {
    if (Under(resolved, Canonical(root))) return resolved;
    listed += (listed.empty() ? "" : ", ") + root;
  }
  return RepositoryError(repository, "location [" + location +
                                         "] doesn't match any of the locations specified by "
                                         "path.repo: [" +
                                         listed + "]");
}

RepositoryRegistry::RepositoryRegistry(std::vector<std::string> path_repo, std::string file)
    : roots_(std::move(path_repo)), file_(std::move(file)) {}

Status RepositoryRegistry::Load() {
  if (file_.empty()) return Status::OK();
  auto text = FileEnv::Default().ReadFile(file_, kMaxFileBytes);
  if (!text.ok() && text.status().code() == StatusCode::kNotFound) return Status::OK();
  if (!text.ok()) return text.status();
  simdjson::dom::parser parser;
  simdjson::dom::object root, repos;
  if (parser.parse(text->data(), text->size()).get_object().get(root) != simdjson::SUCCESS ||
      root["repositories"].get_object().get(repos) != simdjson::SUCCESS) {
    return Status::Corruption(file_ + ": not a repository registration file");
  }
  std::map<std::string, RepositoryConfig> loaded;
  for (auto [name, value] : repos) {
    RepositoryConfig config;
    std::string_view type, location;
    simdjson::dom::object settings;
    if (value["type"].get_string().get(type) != simdjson::SUCCESS ||
        value["settings"].get_object().get(settings) != simdjson::SUCCESS ||
        settings["location"].get_string().get(location) != simdjson::SUCCESS) {
      return Status::Corruption(file_ + ": malformed repository [" + std::string(name) + "]");
    }
    config.type.assign(type);
    config.location.assign(location);
    config.settings_json = simdjson::minify(settings);
    loaded[std::string(name)] = std::move(config);
  }
  std::lock_guard<std::mutex> lock(mu_);
  repositories_ = std::move(loaded);
  return Status::OK();
}

Status RepositoryRegistry::Save() const {
  if (file_.empty()) return Status::OK();
  JsonWriter w;
  w.BeginObject().Key("repositories").BeginObject();
  for (const auto& [name, config] : repositories_) {
    w.Key(name).BeginObject().Key("type").String(config.type);
    w.Key("settings").Raw(config.settings_json).EndObject();
  }
  w.EndObject().EndObject();
  return WriteFileAtomically(FileEnv::Default(), file_, w.Take());
}

Status RepositoryRegistry::Put(const std::string& name, std::string_view body_json) {
  if (name.empty() || name.front() == '_' ||
      name.find_first_of(" ,#\\/*?\"<>|") != std::string::npos) {
    return Status::InvalidArgument("Invalid repository name [" + name + "]")
        .WithKind(ErrorKind::kInvalidValue);
  }
  simdjson::dom::parser parser;
  simdjson::dom::object body, settings;
  std::string_view type, location;
  if (parser.parse(body_json.data(), body_json.size()).get_object().get(body) !=
      simdjson::SUCCESS) {
    return Status::InvalidArgument("request body is required").WithKind(ErrorKind::kMalformedInput);
  }
  if (body["type"].get_string().get(type) != simdjson::SUCCESS) {
    return RepositoryError(name, "repository type is missing");
  }
  if (type != "fs") {
    return RepositoryError(name, "repository type [" + std::string(type) + "] does not exist");
  }
  if (body["settings"].get_object().get(settings) != simdjson::SUCCESS ||
      settings["location"].get_string().get(location) != simdjson::SUCCESS) {
    return RepositoryError(name, "missing location");
  }
  RepositoryConfig config;
  config.location.assign(location);
  config.settings_json = simdjson::minify(settings);
  LOOKALIKE_ASSIGN_OR_RETURN(std::string resolved,
                             ResolveRepositoryLocation(roots_, name, config.location));
  auto repo = FsRepository::Open(resolved, /*create=*/true);
  if (!repo.ok()) return RepositoryError(name, repo.status().message());
  std::lock_guard<std::mutex> lock(mu_);
  auto previous = repositories_.find(name);
  std::optional<RepositoryConfig> old;
  if (previous != repositories_.end()) old = previous->second;
  repositories_[name] = config;
  Status saved = Save();
  if (!saved.ok()) {
    if (old) {
      repositories_[name] = *old;
    } else {
      repositories_.erase(name);
    }
  }
  return saved;
}

Result<RepositoryConfig> RepositoryRegistry::Get(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = repositories_.find(name);
  if (it == repositories_.end()) return RepositoryMissing(name);
  return it->second;
}

Result<std::vector<std::pair<std::string, RepositoryConfig>>> RepositoryRegistry::List(
    const std::string& names) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> all;
  for (const auto& [name, config] : repositories_) all.push_back(name);
  auto selected = SelectNames(all, names, false);
  if (!selected.ok()) {
    std::string missing = selected.status().message();
    return RepositoryMissing(
        missing.substr(missing.find('[') + 1, missing.size() - missing.find('[') - 2));
  }
  std::vector<std::pair<std::string, RepositoryConfig>> out;
  for (const std::string& name : *selected) out.emplace_back(name, repositories_.at(name));
  return out;
}

Status RepositoryRegistry::Delete(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = repositories_.find(name);
  if (it == repositories_.end()) return RepositoryMissing(name);
  RepositoryConfig old = it->second;
  repositories_.erase(it);
  Status saved = Save();
  if (!saved.ok()) repositories_[name] = old;
  return saved;
}

Result<FsRepository> RepositoryRegistry::Open(const std::string& name) const {
  LOOKALIKE_ASSIGN_OR_RETURN(RepositoryConfig config, Get(name));
  LOOKALIKE_ASSIGN_OR_RETURN(std::string resolved,
                             ResolveRepositoryLocation(roots_, name, config.location));
  auto repo = FsRepository::Open(resolved, /*create=*/true);
  if (!repo.ok()) return RepositoryError(name, repo.status().message());
  return repo;
}

}  // namespace lookalike::snapshot
