#include "snapshot/manifest.h"

#include <simdjson.h>

#include <set>

#include "common/json_writer.h"
#include "snapshot/sha256.h"

namespace lookalike::snapshot {
namespace {

constexpr std::string_view kManifestFormat = "lookalike-snapshot-manifest";
constexpr std::string_view kIndexFormat = "lookalike-repository-index";
constexpr int64_t kFormatVersion = 1;
constexpr size_t kMaxNameBytes = 255;

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

Status Bad(std::string_view what, std::string_view why) {
  return Status::Corruption(std::string(what) + ": " + std::string(why));
}

Status CheckHeader(object root, std::string_view format, std::string_view what) {
  std::string_view f;
  int64_t version = 0;
  if (root["format"].get_string().get(f) != simdjson::SUCCESS || f != format) {
    return Bad(what, "not a " + std::string(format) + " file");
  }
  if (root["version"].get_int64().get(version) != simdjson::SUCCESS || version != kFormatVersion) {
    return Bad(what, "unsupported format version");
  }
  return Status::OK();
}

bool GetName(object o, std::string_view key, std::string* out) {
  std::string_view s;
  if (o[key].get_string().get(s) != simdjson::SUCCESS || s.empty() || s.size() > kMaxNameBytes) {
    return false;
  }
  out->assign(s);
  return true;
}

bool GetTime(object o, std::string_view key, int64_t* out) {
  return o[key].get_int64().get(*out) == simdjson::SUCCESS && *out >= 0;
}

Status ParseFile(element e, ManifestFile* file) {
  object o;
  std::string_view kind;
  uint64_t size = 0;
  if (e.get_object().get(o) != simdjson::SUCCESS || !GetName(o, "name", &file->name) ||
      o["kind"].get_string().get(kind) != simdjson::SUCCESS || !GetName(o, "blob", &file->blob) ||
      !IsSha256Hex(file->blob) || o["size"].get_uint64().get(size) != simdjson::SUCCESS) {
    return Bad("manifest", "malformed file entry");
  }
  if (kind == "records") {
    file->kind = FileKind::kRecords;
  } else if (kind == "vectors") {
    file->kind = FileKind::kVectors;
  } else {
    return Bad("manifest", "unknown file kind");
  }
  file->size = size;
  return Status::OK();
}

Status ParseIndex(element e, ManifestIndex* index) {
  object o;
  array files;
  std::string_view meta;
  if (e.get_object().get(o) != simdjson::SUCCESS || !GetName(o, "name", &index->name) ||
      o["meta"].get_string().get(meta) != simdjson::SUCCESS ||
      o["docs_count"].get_int64().get(index->docs_count) != simdjson::SUCCESS ||
      o["files"].get_array().get(files) != simdjson::SUCCESS) {
    return Bad("manifest", "malformed index entry");
  }
  index->meta_json.assign(meta);
  std::set<std::string> names;
  for (element f : files) {
    ManifestFile file;
    LOOKALIKE_RETURN_IF_ERROR(ParseFile(f, &file));
    if (!names.insert(file.name).second) return Bad("manifest", "duplicate file " + file.name);
    index->files.push_back(std::move(file));
  }
  return Status::OK();
}

}  // namespace

std::string EncodeManifest(const SnapshotManifest& m) {
  JsonWriter w;
  w.BeginObject().Key("format").String(kManifestFormat).Key("version").Int(kFormatVersion);
  w.Key("snapshot").String(m.snapshot).Key("uuid").String(m.uuid);
  w.Key("start_time_in_millis").Int(m.start_time_ms).Key("end_time_in_millis").Int(m.end_time_ms);
  w.Key("indices").BeginArray();
  for (const ManifestIndex& index : m.indices) {
    w.BeginObject().Key("name").String(index.name).Key("meta").String(index.meta_json);
    w.Key("docs_count").Int(index.docs_count).Key("files").BeginArray();
    for (const ManifestFile& f : index.files) {
      w.BeginObject().Key("name").String(f.name);
      w.Key("kind").String(f.kind == FileKind::kRecords ? "records" : "vectors");
      w.Key("blob").String(f.blob).Key("size").UInt(f.size).EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

Result<SnapshotManifest> ParseManifest(std::string_view json) {
  simdjson::dom::parser parser;
  element root;
  object o;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS ||
      root.get_object().get(o) != simdjson::SUCCESS) {
    return Bad("manifest", "not a JSON object");
  }
  LOOKALIKE_RETURN_IF_ERROR(CheckHeader(o, kManifestFormat, "manifest"));
  SnapshotManifest m;
  array indices;
  if (!GetName(o, "snapshot", &m.snapshot) || !GetName(o, "uuid", &m.uuid) ||
      !GetTime(o, "start_time_in_millis", &m.start_time_ms) ||
      !GetTime(o, "end_time_in_millis", &m.end_time_ms) ||
      o["indices"].get_array().get(indices) != simdjson::SUCCESS) {
    return Bad("manifest", "missing or malformed members");
  }
  std::set<std::string> names;
  for (element e : indices) {
    ManifestIndex index;
    LOOKALIKE_RETURN_IF_ERROR(ParseIndex(e, &index));
    if (!names.insert(index.name).second) return Bad("manifest", "duplicate index " + index.name);
    m.indices.push_back(std::move(index));
  }
  return m;
}

const SnapshotEntry* RepositoryIndex::Find(std::string_view snapshot) const {
  for (const SnapshotEntry& e : snapshots) {
    if (e.snapshot == snapshot) return &e;
  }
  return nullptr;
}

std::string EncodeRepositoryIndex(const RepositoryIndex& index) {
  JsonWriter w;
  w.BeginObject().Key("format").String(kIndexFormat).Key("version").Int(kFormatVersion);
  w.Key("snapshots").BeginArray();
  for (const SnapshotEntry& e : index.snapshots) {
    w.BeginObject().Key("snapshot").String(e.snapshot).Key("uuid").String(e.uuid);
    w.Key("state").String(e.state);
    w.Key("start_time_in_millis").Int(e.start_time_ms).Key("end_time_in_millis").Int(e.end_time_ms);
    w.Key("indices").BeginArray();
    for (const std::string& name : e.indices) w.String(name);
    w.EndArray().Key("manifest_sha256").String(e.manifest_sha256);
    w.Key("total_files").UInt(e.total_files).Key("total_bytes").UInt(e.total_bytes);
    w.Key("new_files").UInt(e.new_files).Key("new_bytes").UInt(e.new_bytes).EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

Result<RepositoryIndex> ParseRepositoryIndex(std::string_view json) {
  simdjson::dom::parser parser;
  element root;
  object o;
  array snapshots;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS ||
      root.get_object().get(o) != simdjson::SUCCESS) {
    return Bad("repository index", "not a JSON object");
  }
  LOOKALIKE_RETURN_IF_ERROR(CheckHeader(o, kIndexFormat, "repository index"));
  if (o["snapshots"].get_array().get(snapshots) != simdjson::SUCCESS) {
    return Bad("repository index", "no snapshots array");
  }
  RepositoryIndex out;
  for (element e : snapshots) {
    SnapshotEntry entry;
    object s;
    array indices;
    if (e.get_object().get(s) != simdjson::SUCCESS || !GetName(s, "snapshot", &entry.snapshot) ||
        !GetName(s, "uuid", &entry.uuid) || !GetName(s, "state", &entry.state) ||
        !GetTime(s, "start_time_in_millis", &entry.start_time_ms) ||
        !GetTime(s, "end_time_in_millis", &entry.end_time_ms) ||
        s["indices"].get_array().get(indices) != simdjson::SUCCESS ||
        !GetName(s, "manifest_sha256", &entry.manifest_sha256) ||
        !IsSha256Hex(entry.manifest_sha256) ||
        s["total_files"].get_uint64().get(entry.total_files) != simdjson::SUCCESS ||
        s["total_bytes"].get_uint64().get(entry.total_bytes) != simdjson::SUCCESS ||
        s["new_files"].get_uint64().get(entry.new_files) != simdjson::SUCCESS ||
        s["new_bytes"].get_uint64().get(entry.new_bytes) != simdjson::SUCCESS) {
      return Bad("repository index", "malformed snapshot entry");
    }
    for (element n : indices) {
      std::string_view name;
      if (n.get_string().get(name) != simdjson::SUCCESS) {
        return Bad("repository index", "malformed index name");
      }
      entry.indices.emplace_back(name);
    }
    if (out.Find(entry.snapshot) != nullptr) {
      return Bad("repository index", "duplicate snapshot " + entry.snapshot);
    }
    out.snapshots.push_back(std::move(entry));
  }
  return out;
}

Status ValidateSnapshotName(std::string_view repository, std::string_view name) {
  auto invalid = [&](std::string_view why) {
    return Status::InvalidArgument("[" + std::string(repository) + ":" + std::string(name) +
                                   "] Invalid snapshot name [" + std::string(name) + "], " +
                                   std::string(why))
        .WithKind(ErrorKind::kInvalidSnapshotName);
  };
  if (name.empty()) return invalid("cannot be empty");
  if (name.find_first_of(" ,#\\/*?\"<>|") != std::string_view::npos) {
    return invalid("must not contain the following characters [ , \", *, \\, <, |, ,, >, /, ?]");
  }
  if (name.front() == '_') return invalid("must not start with '_'");
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') return invalid("must be lowercase");
  }
  if (name.size() > kMaxNameBytes) return invalid("is too long");
  return Status::OK();
}

}  // namespace lookalike::snapshot
