#include "server/es/snapshot_codec.h"

#include <simdjson.h>

#include <ctime>

#include "common/json_writer.h"

namespace lookalike::es {
namespace {

Status BadBody(std::string_view what) {
  return Status::InvalidArgument(std::string(what)).WithKind(ErrorKind::kMalformedInput);
}

Result<simdjson::dom::object> ParseObject(simdjson::dom::parser& parser, std::string_view body) {
  simdjson::dom::object o;
  if (parser.parse(body.data(), body.size()).get_object().get(o) != simdjson::SUCCESS) {
    return BadBody("request body must be a JSON object");
  }
  return o;
}

// "indices" as a comma list or an array of names.
Status IndicesMember(simdjson::dom::object o, std::string* out) {
  simdjson::dom::element e;
  if (o["indices"].get(e) != simdjson::SUCCESS) return Status::OK();
  std::string_view s;
  simdjson::dom::array a;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    out->assign(s);
    return Status::OK();
  }
  if (e.get_array().get(a) != simdjson::SUCCESS)
    return BadBody("[indices] must be a string or an array");
  out->clear();
  for (simdjson::dom::element n : a) {
    if (n.get_string().get(s) != simdjson::SUCCESS) return BadBody("[indices] must hold strings");
    *out += (out->empty() ? "" : ",") + std::string(s);
  }
  return Status::OK();
}

Status BoolMember(simdjson::dom::object o, std::string_view key, bool* out) {
  simdjson::dom::element e;
  if (o[key].get(e) != simdjson::SUCCESS) return Status::OK();
  std::string_view s;
  if (e.get_bool().get(*out) == simdjson::SUCCESS) return Status::OK();
  if (e.get_string().get(s) == simdjson::SUCCESS && (s == "true" || s == "false")) {
    *out = s == "true";
    return Status::OK();
  }
  return BadBody("[" + std::string(key) + "] must be a boolean");
}

Status StringMember(simdjson::dom::object o, std::string_view key, std::string* out) {
  simdjson::dom::element e;
  if (o[key].get(e) != simdjson::SUCCESS) return Status::OK();
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) {
    return BadBody("[" + std::string(key) + "] must be a string");
  }
  out->assign(s);
  return Status::OK();
}

bool EmptyBody(std::string_view body) {
  return body.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string IsoTime(int64_t millis) {
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%03dZ", static_cast<int>(millis % 1000));
  return buf;
}

void WriteShards(JsonWriter& w, size_t n) {
  w.Key("shards")
      .BeginObject()
      .Key("total")
      .UInt(n)
      .Key("failed")
      .Int(0)
      .Key("successful")
      .UInt(n)
      .EndObject();
}

void WriteSnapshot(JsonWriter& w, const snapshot::SnapshotEntry& e) {
  w.BeginObject().Key("snapshot").String(e.snapshot).Key("uuid").String(e.uuid);
  w.Key("version_id").Int(7100299).Key("version").String("7.10.2");
  w.Key("indices").BeginArray();
  for (const std::string& name : e.indices) w.String(name);
  w.EndArray().Key("data_streams").BeginArray().EndArray();
  w.Key("include_global_state").Bool(false).Key("state").String(e.state);
  w.Key("start_time")
      .String(IsoTime(e.start_time_ms))
      .Key("start_time_in_millis")
      .Int(e.start_time_ms);
  w.Key("end_time").String(IsoTime(e.end_time_ms)).Key("end_time_in_millis").Int(e.end_time_ms);
  w.Key("duration_in_millis").Int(e.end_time_ms - e.start_time_ms);
  w.Key("failures").BeginArray().EndArray();
  WriteShards(w, e.indices.size());
  // Not in Elasticsearch's snapshot info (it is in _status): what this snapshot copied.
  w.Key("stats").BeginObject();
  w.Key("incremental")
      .BeginObject()
      .Key("file_count")
      .UInt(e.new_files)
      .Key("size_in_bytes")
      .UInt(e.new_bytes)
      .EndObject();
  w.Key("total")
      .BeginObject()
      .Key("file_count")
      .UInt(e.total_files)
      .Key("size_in_bytes")
      .UInt(e.total_bytes)
      .EndObject();
  w.EndObject().EndObject();
}

}  // namespace

Status ParseCreateSnapshotBody(std::string_view body, snapshot::CreateSnapshotRequest* out) {
  if (EmptyBody(body)) return Status::OK();
  simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(simdjson::dom::object o, ParseObject(parser, body));
  LOOKALIKE_RETURN_IF_ERROR(IndicesMember(o, &out->indices));
  LOOKALIKE_RETURN_IF_ERROR(BoolMember(o, "ignore_unavailable", &out->ignore_unavailable));
  bool global = false;
  return BoolMember(o, "include_global_state", &global);  // accepted; no global state exists
}

Status ParseRestoreSnapshotBody(std::string_view body, snapshot::RestoreSnapshotRequest* out) {
  if (EmptyBody(body)) return Status::OK();
  simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(simdjson::dom::object o, ParseObject(parser, body));
  LOOKALIKE_RETURN_IF_ERROR(IndicesMember(o, &out->indices));
  LOOKALIKE_RETURN_IF_ERROR(BoolMember(o, "ignore_unavailable", &out->ignore_unavailable));
  LOOKALIKE_RETURN_IF_ERROR(StringMember(o, "rename_pattern", &out->rename_pattern));
  LOOKALIKE_RETURN_IF_ERROR(StringMember(o, "rename_replacement", &out->rename_replacement));
  bool global = false;
  return BoolMember(o, "include_global_state", &global);
}

std::string RenderSnapshotInfo(const snapshot::SnapshotEntry& entry) {
  JsonWriter w;
  WriteSnapshot(w, entry);
  return w.Take();
}

std::string RenderSnapshots(const std::vector<snapshot::SnapshotEntry>& entries) {
  JsonWriter w;
  w.BeginObject().Key("snapshots").BeginArray();
  for (const auto& e : entries) WriteSnapshot(w, e);
  w.EndArray().EndObject();
  return w.Take();
}

std::string RenderRepositories(
    const std::vector<std::pair<std::string, snapshot::RepositoryConfig>>& repositories) {
  JsonWriter w;
  w.BeginObject();
  for (const auto& [name, config] : repositories) {
    w.Key(name).BeginObject().Key("type").String(config.type);
    w.Key("settings").Raw(config.settings_json).EndObject();
  }
  w.EndObject();
  return w.Take();
}

namespace {

// Elasticsearch's shards_stats: one shard per index here, all `done` (or all `started`).
void WriteShardsStats(JsonWriter& w, size_t n, bool done) {
  w.Key("shards_stats").BeginObject().Key("initializing").Int(0);
  w.Key("started").UInt(done ? 0 : n).Key("finalizing").Int(0);
  w.Key("done").UInt(done ? n : 0).Key("failed").Int(0).Key("total").UInt(n).EndObject();
}

void WriteFileCount(JsonWriter& w, const char* key, uint64_t files, uint64_t bytes) {
  w.Key(key).BeginObject().Key("file_count").UInt(files).Key("size_in_bytes").UInt(bytes);
  w.EndObject();
}

void WriteStatusHead(JsonWriter& w, const std::string& snapshot, const std::string& repository,
                     const std::string& uuid, const std::string& state) {
  w.BeginObject().Key("snapshot").String(snapshot).Key("repository").String(repository);
  w.Key("uuid").String(uuid).Key("state").String(state).Key("include_global_state").Bool(false);
}

void WriteRunningStatus(JsonWriter& w, const snapshot::RunningSnapshot& r) {
  WriteStatusHead(w, r.snapshot, r.repository, "", "STARTED");
  WriteShardsStats(w, r.indices.size(), false);
  w.Key("stats").BeginObject().Key("start_time_in_millis").Int(r.start_time_ms).EndObject();
  w.Key("indices").BeginObject();
  for (const std::string& name : r.indices) {
    w.Key(name).BeginObject();
    WriteShardsStats(w, 1, false);
    w.EndObject();
  }
  w.EndObject().EndObject();
}

void WriteFinishedStatus(JsonWriter& w, const std::string& repository, const SnapshotStatus& s) {
  const snapshot::SnapshotEntry& e = s.entry;
  WriteStatusHead(w, e.snapshot, repository, e.uuid, e.state);
  WriteShardsStats(w, e.indices.size(), true);
  const int64_t took = e.end_time_ms - e.start_time_ms;
  w.Key("stats").BeginObject();
  WriteFileCount(w, "incremental", e.new_files, e.new_bytes);
  WriteFileCount(w, "total", e.total_files, e.total_bytes);
  w.Key("start_time_in_millis").Int(e.start_time_ms).Key("time_in_millis").Int(took).EndObject();
  w.Key("indices").BeginObject();
  for (const snapshot::ManifestIndex& index : s.manifest.indices) {
    uint64_t bytes = 0;
    for (const snapshot::ManifestFile& f : index.files) bytes += f.size;
    w.Key(index.name).BeginObject();
    WriteShardsStats(w, 1, true);
    w.Key("stats").BeginObject();
    WriteFileCount(w, "total", index.files.size(), bytes);
    w.Key("start_time_in_millis").Int(e.start_time_ms).Key("time_in_millis").Int(took);
    w.EndObject().Key("shards").BeginObject().Key("0").BeginObject().Key("stage").String("DONE");
    w.EndObject().EndObject().EndObject();
  }
  w.EndObject().EndObject();
}

}  // namespace

std::string RenderSnapshotStatus(const std::string& repository,
                                 const std::vector<snapshot::RunningSnapshot>& running,
                                 const std::vector<SnapshotStatus>& finished) {
  JsonWriter w;
  w.BeginObject().Key("snapshots").BeginArray();
  for (const auto& r : running) WriteRunningStatus(w, r);
  for (const auto& s : finished) WriteFinishedStatus(w, repository, s);
  w.EndArray().EndObject();
  return w.Take();
}

std::string RenderVerified(const std::string& node_id, const std::string& node_name) {
  JsonWriter w;
  w.BeginObject().Key("nodes").BeginObject().Key(node_id).BeginObject();
  w.Key("name").String(node_name).EndObject().EndObject().EndObject();
  return w.Take();
}

std::string RenderRestore(const snapshot::RestoreResult& result) {
  JsonWriter w;
  w.BeginObject().Key("snapshot").BeginObject().Key("snapshot").String(result.snapshot);
  w.Key("indices").BeginArray();
  for (const std::string& name : result.indices) w.String(name);
  w.EndArray();
  WriteShards(w, result.indices.size());
  w.EndObject().EndObject();
  return w.Take();
}

}  // namespace lookalike::es
