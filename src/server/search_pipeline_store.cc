// Stored search pipelines; see search_pipeline_store.h.
#include "server/search_pipeline_store.h"

#include <simdjson.h>

#include "common/file_env.h"
#include "common/glob.h"
#include "common/json_writer.h"

namespace lookalike::server {
namespace {

constexpr uint64_t kMaxFileBytes = 64 << 20;
constexpr int64_t kFormatVersion = 1;

std::vector<std::string_view> SplitNames(std::string_view ids) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= ids.size()) {
    size_t comma = ids.find(',', start);
    if (comma == std::string_view::npos) comma = ids.size();
    if (comma > start) out.push_back(ids.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

Status SearchPipelineMissing(std::string_view id) {
  return Status::NotFound("search pipeline [" + std::string(id) + "] is missing")
      .WithKind(ErrorKind::kResourceNotFound);
}

SearchPipelineStore::SearchPipelineStore(std::string file) : file_(std::move(file)) {}

Status SearchPipelineStore::Load() {
  if (file_.empty()) return Status::OK();
  auto text = FileEnv::Default().ReadFile(file_, kMaxFileBytes);
  if (!text.ok() && text.status().code() == StatusCode::kNotFound) return Status::OK();
  if (!text.ok()) return text.status();
  simdjson::dom::parser parser;
  simdjson::dom::object root, stored;
  int64_t version = 0;
  if (parser.parse(text->data(), text->size()).get_object().get(root) != simdjson::SUCCESS ||
      root["version"].get_int64().get(version) != simdjson::SUCCESS ||
      root["pipelines"].get_object().get(stored) != simdjson::SUCCESS) {
    return Status::Corruption(file_ + ": not a search pipelines file");
  }
  if (version != kFormatVersion) {
    return Status::Corruption(file_ + ": search pipelines file version " +
                              std::to_string(version) + " is not supported");
  }
  std::map<std::string, Stored> loaded;
  for (auto [id, body] : stored) {
    std::string json = simdjson::minify(body);
    auto pipeline = es::ParseSearchPipelineJson(json);
    if (!pipeline.ok()) {
      return Status::Corruption(file_ + ": search pipeline [" + std::string(id) +
                                "] does not load: " + pipeline.status().message());
    }
    loaded[std::string(id)] = Stored{std::move(json), std::move(*pipeline)};
  }
  std::lock_guard<std::mutex> lock(mu_);
  pipelines_ = std::move(loaded);
  return Status::OK();
}

Status SearchPipelineStore::Save(const std::map<std::string, Stored>& pipelines) const {
  if (file_.empty()) return Status::OK();
  JsonWriter w;
  w.BeginObject().Key("version").Int(kFormatVersion).Key("pipelines").BeginObject();
  for (const auto& [id, stored] : pipelines) w.Key(id).Raw(stored.body);
  w.EndObject().EndObject();
  return WriteFileAtomically(FileEnv::Default(), file_, w.Take());
}

Status SearchPipelineStore::Put(const std::string& id, std::string_view body_json) {
  if (id.empty() || id.size() > 255 || id.front() == '_' ||
      id.find_first_of(" ,#\\/*?\"<>|") != std::string::npos) {
    return Status::InvalidArgument("Invalid search pipeline id [" + id + "]")
        .WithKind(ErrorKind::kInvalidValue);
  }
  if (body_json.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Status::InvalidArgument("request body is required")
        .WithKind(ErrorKind::kMalformedRequest);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(es::SearchPipeline pipeline, es::ParseSearchPipelineJson(body_json));
  simdjson::dom::parser parser;
  simdjson::dom::element body;
  if (parser.parse(body_json.data(), body_json.size()).get(body) != simdjson::SUCCESS) {
    return Status::InvalidArgument("request body is not JSON").WithKind(ErrorKind::kMalformedRequest);
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, Stored> next = pipelines_;
  next[id] = Stored{simdjson::minify(body), std::move(pipeline)};
  LOOKALIKE_RETURN_IF_ERROR(Save(next));
  pipelines_ = std::move(next);
  return Status::OK();
}

Result<std::vector<std::pair<std::string, std::string>>> SearchPipelineStore::List(
    std::string_view ids) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, std::string>> out;
  if (ids.empty() || ids == "*" || ids == "_all") {
    for (const auto& [id, stored] : pipelines_) out.emplace_back(id, stored.body);
    return out;
  }
  std::map<std::string, const Stored*> selected;
  for (std::string_view name : SplitNames(ids)) {
    if (name.find('*') == std::string_view::npos) {
      auto it = pipelines_.find(std::string(name));
      if (it == pipelines_.end()) return SearchPipelineMissing(name);
      selected[it->first] = &it->second;
      continue;
    }
    for (const auto& [id, stored] : pipelines_) {
      if (GlobMatch(name, id)) selected[id] = &stored;
    }
  }
  for (const auto& [id, stored] : selected) out.emplace_back(id, stored->body);
  return out;
}

Status SearchPipelineStore::Delete(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (pipelines_.find(id) == pipelines_.end()) return SearchPipelineMissing(id);
  std::map<std::string, Stored> next = pipelines_;
  next.erase(id);
  LOOKALIKE_RETURN_IF_ERROR(Save(next));
  pipelines_ = std::move(next);
  return Status::OK();
}

Result<es::SearchPipeline> SearchPipelineStore::Find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pipelines_.find(id);
  if (it == pipelines_.end()) return SearchPipelineMissing(id);
  return it->second.pipeline;
}

}  // namespace lookalike::server
