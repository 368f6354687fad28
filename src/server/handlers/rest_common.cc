#include "server/handlers/rest_common.h"

#include <simdjson.h>

#include <charconv>

#include "common/file_env.h"
#include "common/json_writer.h"
#include "server/error_mapping.h"
#include "server/request_caller.h"

namespace lookalike::server {

void ReplyError(const Status& status, HttpResponse* response) {
  SetErrorResponse(status, response);
}

void Reply(const Result<std::string>& result, HttpResponse* response) {
  if (!result.ok()) return ReplyError(result.status(), response);
  response->status = 200;
  response->body = result.value();
}

Result<RefreshPolicy> RefreshParam(const RestRequest& request) {
  const std::string* value = request.Param("refresh");
  if (value == nullptr) return RefreshPolicy::kFalse;
  if (value->empty()) return RefreshPolicy::kTrue;  // bare ?refresh means true
  return ParseRefreshPolicy(*value);
}

// ---- ClusterSettings ------------------------------------------------------------------------

namespace {
// Flattens {"a":{"b":1}} into ("a.b", "1"); scalars and arrays are kept as JSON text.
void Flatten(simdjson::dom::element element, const std::string& prefix,
             std::map<std::string, std::string>* target) {
  if (element.is_object()) {
    simdjson::dom::object object;
    if (element.get_object().get(object) != simdjson::SUCCESS) return;
    for (auto field : object) {
      std::string key = prefix.empty() ? std::string(field.key)
                                       : prefix + "." + std::string(field.key);
      Flatten(field.value, key, target);
    }
    return;
  }
  if (element.is_null()) {
    // Resetting "a.*" style wildcards is not supported; exact keys only.
    target->erase(prefix);
    return;
  }
  // Elasticsearch reports every setting value as a string.
  if (element.is_string()) {
    std::string_view text;
    if (element.get_string().get(text) != simdjson::SUCCESS) return;
    std::string out;
    AppendJsonString(&out, text);
    (*target)[prefix] = out;
  } else {
    std::string text = simdjson::minify(element);
    std::string out;
    AppendJsonString(&out, text);
    (*target)[prefix] = element.is_array() ? text : out;
  }
}

void WriteSettings(const std::map<std::string, std::string>& settings, JsonWriter* w) {
  w->BeginObject();
  for (const auto& [key, value] : settings) w->Key(key).Raw(value);
  w->EndObject();
}
}  // namespace

// Far above any real settings file (a few kilobytes); a larger one is not ours.
constexpr uint64_t kMaxSettingsFileBytes = uint64_t{16} << 20;

Status ClusterSettings::Open(std::string path) {
  std::lock_guard<std::mutex> lock(mu_);
  path_ = std::move(path);
  RemoveStaleTemporaryFiles(DirName(path_));
  auto read = FileEnv::Default().ReadFile(path_, kMaxSettingsFileBytes);
  if (read.status().IsNotFound()) return Status::OK();  // first start
  if (!read.ok()) {
    Status unreadable = read.status();
    path_.clear();  // never overwrite what we could not read
    return unreadable;
  }
  const std::string& text = *read;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root) != simdjson::SUCCESS || !root.is_object()) {
    Status damaged = Status::Corruption("cluster settings file " + path_ + " is not a JSON object");
    path_.clear();  // never overwrite what we could not read
    return damaged;
  }
  persistent_.clear();
  Flatten(root, "", &persistent_);
  return Status::OK();
}

Status ClusterSettings::Save(const std::map<std::string, std::string>& persistent) const {
  if (path_.empty()) return Status::OK();
  JsonWriter w;
  WriteSettings(persistent, &w);
  // The reply keeps its historical wording; the seam's detail (step, errno) is not shown.
  if (!WriteFileAtomically(FileEnv::Default(), path_, w.str()).ok()) {
    return Status::IOError("cannot write " + path_);
  }
  return Status::OK();
}

namespace {
std::string Unquoted(const std::string& json) {
  if (json.size() >= 2 && json.front() == '"' && json.back() == '"') {
    return json.substr(1, json.size() - 2);
  }
  return json == "null" ? "" : json;
}

std::string LookupIn(const std::map<std::string, std::string>& transient,
                     const std::map<std::string, std::string>& persistent, std::string_view key) {
  auto t = transient.find(std::string(key));
  if (t != transient.end()) return Unquoted(t->second);
  auto p = persistent.find(std::string(key));
  return p == persistent.end() ? "" : Unquoted(p->second);
}
}  // namespace

Status ApplyDiskWatermarks(Engine& engine, const ClusterSettings::Lookup& get) {
  return engine.SetDiskWatermarks(get(kDiskWatermarkLow), get(kDiskWatermarkHigh),
                                  get(kDiskFloodStage));
}

std::string ClusterSettings::Get(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  return LookupIn(transient_, persistent_, key);
}

Result<std::string> ClusterSettings::Update(std::string_view body_json,
                                            const std::function<Status(const Lookup&)>& apply) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body_json);
  simdjson::dom::element root;
  if (body_json.empty() || parser.parse(padded).get(root) != simdjson::SUCCESS) {
    return Status::InvalidArgument("request body is required and must be JSON")
        .WithKind(ErrorKind::kMalformedInput);
  }
  if (!root.is_object()) {
    return Status::InvalidArgument("request body must be a JSON object")
        .WithKind(ErrorKind::kMalformedInput);
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::string> persistent = persistent_;
  std::map<std::string, std::string> transient = transient_;
  std::map<std::string, std::string> ack_persistent;
  std::map<std::string, std::string> ack_transient;
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return Status::InvalidArgument("request body must be a JSON object")
        .WithKind(ErrorKind::kMalformedInput);
  }
  for (auto field : object) {
    if (field.key == "persistent" || field.key == "transient") {
      if (!field.value.is_object()) {
        return Status::InvalidArgument("[" + std::string(field.key) + "] must be an object")
            .WithKind(ErrorKind::kInvalidValue);
      }
      bool is_persistent = field.key == "persistent";
      Flatten(field.value, "", is_persistent ? &persistent : &transient);
      Flatten(field.value, "", is_persistent ? &ack_persistent : &ack_transient);
    } else {
      return Status::InvalidArgument("request body contains unknown key [" +
                                     std::string(field.key) + "]")
          .WithKind(ErrorKind::kInvalidValue);
    }
  }
  if (apply) {
    // The persistent half must stand on its own: after a restart the transient one is gone, and
    // settings accepted only together with it (transient flood stage 99%, persistent high 97%)
    // would be refused at start (Elasticsearch validates both halves the same way). `apply` acts
    // as it checks, so the combined view goes last, and the previous one is restored on refusal.
    const std::map<std::string, std::string> no_transient;
    LOOKALIKE_RETURN_IF_ERROR(
        apply([&](std::string_view key) { return LookupIn(no_transient, persistent, key); }));
    Status combined =
        apply([&](std::string_view key) { return LookupIn(transient, persistent, key); });
    if (!combined.ok()) {
      (void)apply([&](std::string_view key) { return LookupIn(transient_, persistent_, key); });
      return combined;
    }
  }
  if (persistent != persistent_) LOOKALIKE_RETURN_IF_ERROR(Save(persistent));
  persistent_ = std::move(persistent);
  transient_ = std::move(transient);
  JsonWriter w;
  w.BeginObject().Key("acknowledged").Bool(true).Key("persistent");
  WriteSettings(ack_persistent, &w);
  w.Key("transient");
  WriteSettings(ack_transient, &w);
  w.EndObject();
  return w.Take();
}

std::string ClusterSettings::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  JsonWriter w;
  w.BeginObject().Key("persistent");
  WriteSettings(persistent_, &w);
  w.Key("transient");
  WriteSettings(transient_, &w);
  w.EndObject();
  return w.Take();
}

Result<cluster::ScatterCall> ScatterCallOf(const RestRequest& req) {
  cluster::ScatterCall call;
  call.authorization = std::string(req.http.Header("authorization"));
  if (const std::string* partial = req.Param("allow_partial_search_results")) {
    if (*partial == "false") {
      call.allow_partial_results = false;
    } else if (*partial != "true" && !partial->empty()) {
      return Status::InvalidArgument("Failed to parse value [" + *partial +
                                     "] as only [true] or [false] are allowed.")
          .WithKind(ErrorKind::kInvalidValue);
    }
  }
  return call;
}

void SetFailureTypes(std::vector<ShardFailure>* failures) {
  for (ShardFailure& f : *failures) f.type = std::string(ErrorTypeFor(f.code, f.kind));
}

bool Coordinated(const RestContext& ctx, std::string_view index) {
  return ctx.coordinator != nullptr && cluster::Coordinator::Coordinates(index);
}

Result<StoredDocument> GetDocumentFor(RestContext& ctx, const RestRequest& req,
                                      std::string_view index, std::string_view id,
                                      const SourceFilter& source, const std::string* routing) {
  if (!Coordinated(ctx, index)) return ctx.engine->GetDocument(index, id, source);
  LOOKALIKE_ASSIGN_OR_RETURN(cluster::ScatterCall call, ScatterCallOf(req));
  return ctx.coordinator->Get(index, id, routing, source, call);
}

Status AuthorizeLookups(const RestRequest& req, const SearchRequest& request) {
  if (req.caller == nullptr) return Status::OK();
  for (const KnnNode& knn : request.knn) {
    if (knn.lookup) {
      LOOKALIKE_RETURN_IF_ERROR(
          req.caller->authorize(security::IndexReadAccess(knn.lookup->index)));
    }
    if (knn.recommend) {
      LOOKALIKE_RETURN_IF_ERROR(
          req.caller->authorize(security::IndexReadAccess(knn.recommend->index)));
    }
  }
  return Status::OK();
}

}  // namespace lookalike::server
