// Index: metadata (settings + mappings), document preparation against the mapping, and the
// in-memory application of writes. The write path itself lives in writer.cc.
#include "engine/index.h"

#include <cmath>
#include <cstring>

namespace lookalike::engine {
std::string Index::MetaJson() const {
  JsonWriter w;
  w.BeginObject().Key("uuid").String(uuid).Key("creation_date").Int(creation_date);
  w.Key("settings").BeginObject();
  for (const auto& [k, v] : settings.flat) w.Key(k).String(v);
  w.EndObject();
  w.Key("mappings");
  WriteMappingJson(w, mapping.Describe());
  if (!vector_files.empty()) {
    w.Key("vector_files").BeginObject();
    for (const auto& [field, stem] : vector_files) w.Key(field).String(stem);
    w.EndObject();
  }
  w.EndObject();
  return w.Take();
}

Status Index::LoadMeta(element meta) {
  if (!meta.is_object()) return ParsingError("index metadata must be a JSON object");
  std::string_view s;
  if (meta.at_key("uuid").get_string().get(s) == simdjson::SUCCESS) uuid = std::string(s);
  int64_t cd;
  if (meta.at_key("creation_date").get_int64().get(cd) == simdjson::SUCCESS) creation_date = cd;
  element files;
  if (meta.at_key("vector_files").get(files) == simdjson::SUCCESS) {
    for (auto kv : AsObject(files)) {
      std::string_view stem;
      // Only stems this code writes ("v" + digits) become file names.
      if (kv.value.get_string().get(stem) == simdjson::SUCCESS && stem.size() > 1 &&
          stem[0] == 'v' && stem.find_first_not_of("0123456789", 1) == std::string_view::npos) {
        vector_files[std::string(kv.key)] = std::string(stem);
      }
    }
  }
  element set;
  FlatSettings flat;
  if (meta.at_key("settings").get(set) == simdjson::SUCCESS) {
    if (!set.is_object()) return ParsingError("[settings] must be an object");
    FlattenSettings(set, &flat);
  }
  LOOKALIKE_ASSIGN_OR_RETURN(settings, ParseIndexSettings(std::move(flat), /*loading=*/true));
  slowlog.Publish(settings.slowlog);
  element maps;
  if (meta.at_key("mappings").get(maps) == simdjson::SUCCESS) {
    LOOKALIKE_ASSIGN_OR_RETURN(MappingDefinition stored, ParseMappingJson(maps));
    LOOKALIKE_RETURN_IF_ERROR(mapping.Merge(stored, settings.knn_space_type));
  }
  return Status::OK();
}

Status Index::Define(const IndexDefinition& definition) {
  LOOKALIKE_ASSIGN_OR_RETURN(IndexSettings parsed, ParseIndexSettings(definition.settings));
  parsed.flat.try_emplace("index.number_of_shards", std::to_string(parsed.number_of_shards));
  parsed.flat.try_emplace("index.number_of_replicas", std::to_string(parsed.number_of_replicas));
  settings = std::move(parsed);
  slowlog.Publish(settings.slowlog);
  return mapping.Merge(definition.mapping, settings.knn_space_type);
}

void LiveSlowLog::Publish(const IndexSlowLogSettings& settings) {
  for (int level = 0; level < 4; ++level) {
    search_[level].store(settings.search.nanos[level], std::memory_order_relaxed);
    indexing_[level].store(settings.indexing.nanos[level], std::memory_order_relaxed);
  }
  source_chars_.store(settings.indexing_source_chars, std::memory_order_relaxed);
  search_floor_.store(settings.search.Floor(), std::memory_order_relaxed);
  indexing_floor_.store(settings.indexing.Floor(), std::memory_order_relaxed);
}

IndexSlowLogSettings LiveSlowLog::Load() const {
  IndexSlowLogSettings out;
  for (int level = 0; level < 4; ++level) {
    out.search.nanos[level] = search_[level].load(std::memory_order_relaxed);
    out.indexing.nanos[level] = indexing_[level].load(std::memory_order_relaxed);
  }
  out.indexing_source_chars = source_chars_.load(std::memory_order_relaxed);
  return out;
}

SettingsMap Index::DescribeSettings() const {
  SettingsMap flat = settings.flat;
  flat["index.uuid"] = uuid;
  flat["index.creation_date"] = std::to_string(creation_date);
  flat["index.provided_name"] = name;
  flat["index.version.created"] = "8110099";
  return flat;
}

namespace {
// The snapshot stem data directories before vector_files used: the field name in hex.
std::string LegacySnapshotStem(const std::string& field) {
  static const char* kHex = "0123456789abcdef";
  std::string name;
  for (unsigned char c : field) {
    name.push_back(kHex[c >> 4]);
    name.push_back(kHex[c & 15]);
  }
  return name;
}
// Longest legacy stem still used (a file name is at most 255 bytes, with ".lkv" appended).
constexpr size_t kMaxLegacyStem = 200;
}  // namespace

Status Index::SyncVectorFields(bool loading, bool* files_changed) {
  for (const auto& [path, f] : mapping.fields()) {
    if (!IsVector(f.type) || vectors.count(path)) continue;
    auto vf = std::make_unique<VectorField>();
    vf->field = path;
    auto recorded = vector_files.find(path);
    std::string legacy = LegacySnapshotStem(path);
    if (recorded != vector_files.end()) {
      vf->file_stem = recorded->second;
    } else if (loading && legacy.size() <= kMaxLegacyStem) {
      vf->file_stem = legacy;
    } else {
      size_t n = vector_files.size();
      std::string stem;
      bool taken = true;
      while (taken) {
        stem = "v" + std::to_string(n++);
        taken = false;
        for (const auto& [other, used] : vector_files) taken |= used == stem;
      }
      vector_files[path] = stem;
      vf->file_stem = stem;
      if (files_changed) *files_changed = true;
    }
    // index.knn.algo_param.ef_search is not baked in: it may change (PUT _settings), so the
    // knn query reads it from the settings on every search.
    vf->spec = f.vector;
    vf->nested = !f.nested_path.empty();
    LOOKALIKE_ASSIGN_OR_RETURN(vf->index, MakeVectorIndex(vf->spec, 0));
    vectors[path] = std::move(vf);
  }
  return Status::OK();
}

namespace {

struct Preparer {
  Index* index;
  PreparedDoc* out;
  bool* mapping_changed;
  const MappingLimits* limits;  // null: accept any dynamic field (loading stored documents)
  // Position of the object being parsed in each nested field's list (nested path → offset).
  std::map<std::string, uint32_t, std::less<>> nested_offset;

  Status FieldError(const FieldMapping& f, element v, std::string_view why) {
    std::string preview = ElementToJson(v);
    if (preview.size() > 80) preview = preview.substr(0, 80) + "...";
    return MapperParsingError("failed to parse field [" + f.path + "] of type [" +
                              std::string(FieldTypeName(f.type)) + "]: " + std::string(why) +
                              ". Preview of field's value: '" + preview + "'");
  }

  Result<const FieldMapping*> Resolve(const std::string& path, element sample) {
    const FieldMapping* f = index->mapping.Find(path);
    if (f) return f;
    std::unique_lock lock(index->data_mu);
    auto added = index->mapping.AddDynamic(path, sample, limits);
    if (added.ok() && *added) *mapping_changed = true;
    return added;
  }

  Status Vector(const FieldMapping& f, element v, bool top_level) {
    simdjson::dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) {
      return FieldError(f, v, "a vector must be an array of numbers");
    }
    size_t n = arr.size();
    if (n == 0) return FieldError(f, v, "the vector is empty");
    if (n != f.vector.dim) {
      return FieldError(f, v, "Vector dimension mismatch. Expected: " +
                                  std::to_string(f.vector.dim) + ", Given: " + std::to_string(n));
    }
    storage::StoredVector sv;
    sv.field = (top_level ? "^" : "") + f.path;
    sv.values.resize(n);
    size_t i = 0;
    for (element x : arr) {
      double d;
      if (x.get_double().get(d) != simdjson::SUCCESS) {
        return FieldError(f, v, "vector values must be numbers");
      }
      float fv = static_cast<float>(d);
      if (!std::isfinite(fv)) return FieldError(f, v, "vector values must be finite");
      sv.values[i++] = fv;
    }
    Status valid = ValidateVector(sv.values.data(), n, f.vector.dim, f.vector.metric);
    if (!valid.ok()) return FieldError(f, v, valid.message());
    if (!f.nested_path.empty()) return NestedVector(f, v, std::move(sv));
    for (const auto& existing : out->vectors) {
      if (existing.field == sv.field) return FieldError(f, v, "a document holds one vector per field");
    }
    out->vectors.push_back(std::move(sv));
    return Status::OK();
  }

  // One vector of a nested list: stored at its object's offset among the field's entries, with
  // empty placeholders for earlier objects that had none (docs/design/engine.md).
  Status NestedVector(const FieldMapping& f, element v, storage::StoredVector sv) {
    auto at = nested_offset.find(f.nested_path);
    const uint32_t offset = at == nested_offset.end() ? 0 : at->second;
    uint32_t held = 0;
    for (const auto& existing : out->vectors) held += existing.field == sv.field;
    if (held > offset) return FieldError(f, v, "a nested object holds one vector per field");
    for (; held < offset; ++held) out->vectors.push_back(storage::StoredVector{sv.field, {}});
    out->vectors.push_back(std::move(sv));
    return Status::OK();
  }

  // The objects of nested field `f` (an object or an array of them), each at its offset.
  Status NestedObjects(const FieldMapping& f, element v) {
    if (v.is_object()) {
      nested_offset[f.path] = 0;
      return Object(v, f.path + ".");
    }
    uint32_t offset = 0;
    for (element x : AsArray(v)) {
      if (x.is_null()) continue;
      if (!x.is_object()) {
        return MapperParsingError("object mapping for [" + f.path + "] tried to parse field [" +
                                  f.path + "] as object, but found a concrete value");
      }
      if (limits != nullptr && static_cast<int64_t>(offset) >= limits->nested_objects) {
        return MapperParsingError(
            "The number of nested documents has exceeded the allowed limit of [" +
            std::to_string(limits->nested_objects) +
            "]. This limit can be set by changing the [index.mapping.nested_objects.limit] "
            "index level setting.");
      }
      nested_offset[f.path] = offset++;
      LOOKALIKE_RETURN_IF_ERROR(Object(x, f.path + "."));
    }
    return Status::OK();
  }

  // A vector handed over as a value (WriteOp::vectors): checked like one read from the source.
  Status ExtraVector(const FieldVector& given) {
    const FieldMapping* f = index->mapping.Find(given.path);
    if (f == nullptr || !IsVector(f->type)) {
      return MapperParsingError("failed to parse field [" + given.path +
                                "]: a vector was given for a field that is not a mapped "
                                "vector field");
    }
    if (!f->nested_path.empty()) {
      return MapperParsingError("failed to parse field [" + given.path +
                                "]: vectors of a nested field are given in the document's "
                                "source, not as separate values");
    }
    auto error = [&](std::string_view why) {
      return MapperParsingError("failed to parse field [" + f->path + "] of type [" +
                                std::string(FieldTypeName(f->type)) + "]: " + std::string(why));
    };
    size_t n = given.values.size();
    if (n == 0) return error("the vector is empty");
    if (n != f->vector.dim) {
      return error("Vector dimension mismatch. Expected: " + std::to_string(f->vector.dim) +
                   ", Given: " + std::to_string(n));
    }
    for (float x : given.values) {
      if (!std::isfinite(x)) return error("vector values must be finite");
    }
    Status valid = ValidateVector(given.values.data(), n, f->vector.dim, f->vector.metric);
    if (!valid.ok()) return error(valid.message());
    std::string stored_name = "^" + f->path;
    for (const auto& existing : out->vectors) {
      if (existing.field == stored_name) return error("a document holds one vector per field");
    }
    out->vectors.push_back(storage::StoredVector{std::move(stored_name), given.values});
    return Status::OK();
  }

  Status Scalar(const FieldMapping& f, element v) {
    using simdjson::dom::element_type;
    if (v.is_null()) return Status::OK();
    PreparedDoc::Value val{&f, "", 0};
    switch (f.type) {
      case FieldType::kKeyword:
      case FieldType::kText: {
        if (!ElementToText(v, &val.text)) return FieldError(f, v, "expected a string");
        if (f.type == FieldType::kKeyword && f.ignore_above >= 0 &&
            val.text.size() > static_cast<size_t>(f.ignore_above)) {
          return Status::OK();
        }
        break;
      }
      case FieldType::kBoolean: {
        bool b;
        std::string_view s;
        if (v.get_bool().get(b) == simdjson::SUCCESS) {
          val.text = b ? "true" : "false";
        } else if (v.get_string().get(s) == simdjson::SUCCESS && (s == "true" || s == "false" ||
                                                                  s.empty())) {
          val.text = s.empty() ? "false" : std::string(s);
        } else {
          return FieldError(f, v, "Failed to parse value as only [true] or [false] are allowed");
        }
        break;
      }
      case FieldType::kDate: {
        std::string_view s;
        int64_t ms;
        if (v.get_string().get(s) == simdjson::SUCCESS) {
          if (!ParseDateMillis(s, &ms)) return FieldError(f, v, "failed to parse date");
          val.number = static_cast<double>(ms);
        } else if (!ElementToDouble(v, &val.number)) {
          return FieldError(f, v, "failed to parse date");
        }
        break;
      }
      default: {
        if (!ElementToDouble(v, &val.number)) return FieldError(f, v, "not a number");
        if (f.type == FieldType::kLong || f.type == FieldType::kInteger ||
            f.type == FieldType::kShort || f.type == FieldType::kByte) {
          double lim = f.type == FieldType::kLong      ? 9.2233720368547758e18
                       : f.type == FieldType::kInteger ? 2147483647.0
                       : f.type == FieldType::kShort   ? 32767.0
                                                       : 127.0;
          if (val.number > lim || val.number < -lim - 1) {
            return FieldError(f, v, "Numeric value out of range");
          }
          val.number = std::trunc(val.number);
        } else if (f.type == FieldType::kFloat) {
          val.number = static_cast<float>(val.number);
        }
      }
    }
    out->values.push_back(val);
    for (const std::string& sub : f.subfields) {
      const FieldMapping* s = index->mapping.Find(sub);
      if (s) LOOKALIKE_RETURN_IF_ERROR(Scalar(*s, v));
    }
    return Status::OK();
  }

  Status Value(const std::string& path, element v, bool top_level) {
    if (v.is_null()) return Status::OK();
    element sample = v;
    if (v.is_array()) {
      bool found = false;
      for (element x : AsArray(v)) {
        if (!x.is_null()) {
          sample = x;
          found = true;
          break;
        }
      }
      if (!found) {
        // An empty (or all-null) array is "no value", except for vectors where it is an error.
        const FieldMapping* f = index->mapping.Find(path);
        if (f && IsVector(f->type)) return Vector(*f, v, top_level);
        return Status::OK();
      }
    }
    LOOKALIKE_ASSIGN_OR_RETURN(const FieldMapping* f, Resolve(path, sample));
    if (!f) return Status::OK();  // dynamic: false
    if (IsVector(f->type)) return Vector(*f, v, top_level);
    if (f->type == FieldType::kObject) {
      if (f->nested && (v.is_object() || v.is_array())) return NestedObjects(*f, v);
      if (v.is_object()) return Object(v, path + ".");
      if (v.is_array()) {
        for (element x : AsArray(v)) {
          if (x.is_null()) continue;
          if (!x.is_object()) {
            return MapperParsingError("object mapping for [" + path +
                                      "] tried to parse field [" + path +
                                      "] as object, but found a concrete value");
          }
          LOOKALIKE_RETURN_IF_ERROR(Object(x, path + "."));
        }
        return Status::OK();
      }
      return MapperParsingError("object mapping for [" + path + "] tried to parse field [" +
                                path + "] as object, but found a concrete value");
    }
    if (v.is_object()) {
      return MapperParsingError("failed to parse field [" + path + "] of type [" +
                                std::string(FieldTypeName(f->type)) +
                                "]: unexpected object value");
    }
    if (v.is_array()) {
      for (element x : AsArray(v)) {
        if (x.is_array() || x.is_object()) {
          return MapperParsingError("failed to parse field [" + path + "] of type [" +
                                    std::string(FieldTypeName(f->type)) +
                                    "]: nested arrays/objects are not supported here");
        }
        LOOKALIKE_RETURN_IF_ERROR(Scalar(*f, x));
      }
      return Status::OK();
    }
    return Scalar(*f, v);
  }

  Status Object(element obj, const std::string& prefix) {
    for (auto kv : AsObject(obj)) {
      if (kv.key.empty()) return MapperParsingError("field name cannot be an empty string");
      if (prefix.empty() && kv.key.front() == '_' &&
          (kv.key == "_id" || kv.key == "_index" || kv.key == "_source" || kv.key == "_version" ||
           kv.key == "_seq_no" || kv.key == "_routing")) {
        return MapperParsingError("Field [" + std::string(kv.key) +
                                  "] is a metadata field and cannot be added inside a document. "
                                  "Use the index API request parameters.");
      }
      LOOKALIKE_RETURN_IF_ERROR(Value(prefix + std::string(kv.key), kv.value, prefix.empty()));
    }
    return Status::OK();
  }
};

}  // namespace

Status Index::PrepareDocument(element source, PreparedDoc* out, bool* mapping_changed,
                              bool enforce_limits, std::span<const FieldVector> extra_vectors) {
  if (!source.is_object()) {
    return MapperParsingError("failed to parse: the document source must be a JSON object");
  }
  Preparer p{this, out, mapping_changed, enforce_limits ? &settings.mapping_limits : nullptr, {}};
  mapping.BeginDynamicJournal();
  Status parsed = p.Object(source, "");
  for (size_t i = 0; parsed.ok() && i < extra_vectors.size(); ++i) {
    parsed = p.ExtraVector(extra_vectors[i]);
  }
  if (!parsed.ok()) {
    if (enforce_limits && *mapping_changed) {
      // A refused document leaves the mapping as it found it.
      std::unique_lock lock(data_mu);
      mapping.RollbackDynamic();
      *mapping_changed = false;
    }
    return parsed;
  }
  // The slim source: everything but top-level vectors (those live in binary form).
  bool stripped = false;
  for (const auto& v : out->vectors) stripped |= v.field[0] == '^';
  if (!stripped) {
    out->slim_source = ElementToJson(source);
  } else {
    JsonWriter w(&out->slim_source);
    w.BeginObject();
    for (auto kv : AsObject(source)) {
      bool is_vec = false;
      for (const auto& v : out->vectors) {
        is_vec |= v.field[0] == '^' && std::string_view(v.field).substr(1) == kv.key;
      }
      if (is_vec) continue;
      w.Key(kv.key);
      WriteElement(w, kv.value);
    }
    w.EndObject();
  }
  return Status::OK();
}

void Index::ApplyDoc(uint32_t docnum, const std::string& id, int64_t version, int64_t seq_no,
                     const PreparedDoc& doc) {
  if (docnum >= slots.size()) {
    slots.resize(docnum + 1);
    live.Resize(std::max<size_t>(docnum + 1, slots.size()));
  }
  DocSlot& slot = slots[docnum];
  bool reused = slot.live || slot.version != 0;
  if (reused) {
    ++slot.gen;
    for (auto& [path, fi] : fields) fi->ClearDoc(docnum);
  }
  if (!slot.live) {
    live.Set(docnum);
    ++slot.incarnation;
  }
  slot.live = true;
  slot.version = version;
  slot.seq_no = seq_no;
  slot.id = id;
  ids[id] = docnum;
  // Where each text field's next value starts (its values are positioned one after the other,
  // kPositionIncrementGap apart, so that phrases do not match across values).
  std::unordered_map<const FieldIndex*, uint32_t> next_position;
  for (const auto& v : doc.values) {
    auto& fi = fields[v.field->path];
    if (!fi) fi = std::make_unique<FieldIndex>(v.field->type);
    switch (v.field->type) {
      case FieldType::kText: {
        uint32_t& base = next_position[fi.get()];
        uint32_t last = base;
        for (const Token& tok : Analyze(v.text)) {
          last = base + tok.position;
          fi->AddToken(docnum, slot.gen, tok.text, last);
        }
        base = last + kPositionIncrementGap + 1;
        break;
      }
      case FieldType::kKeyword:
      case FieldType::kBoolean: fi->AddTerm(docnum, slot.gen, v.text); break;
      default: fi->AddNumber(docnum, slot.gen, v.number); break;
    }
  }
  // Only adds grow postings, so this is the one place that needs to collect them.
  for (const auto& v : doc.values) fields[v.field->path]->MaybeCollectGarbage(slots);
}

void Index::ApplyDelete(uint32_t docnum) {
  if (docnum >= slots.size() || !slots[docnum].live) return;
  DocSlot& slot = slots[docnum];
  ids.erase(slot.id);
  std::string().swap(slot.id);  // a dead slot keeps no memory until it is reused
  slot.live = false;
  ++slot.gen;
  live.Clear(docnum);
  for (auto& [path, fi] : fields) fi->ClearDoc(docnum);
}

void Index::RebuildFreeDocnums(const DocnumPool::Token& token) {
  std::vector<uint32_t> free;
  // Descending, so the smallest numbers are reused first and the slots stay dense.
  for (uint32_t d = next_doc; d-- > 0;) {
    if (d >= slots.size() || !slots[d].live) free.push_back(d);
  }
  deleted_docs = static_cast<int64_t>(free.size());
  free_docnums = DocnumPool();
  free_docnums.Free(std::move(free), token);
}

std::string Index::RebuildSource(const std::string& slim,
                                 const std::vector<storage::StoredVector>& vectors) {
  bool any = false;
  for (const auto& v : vectors) any |= !v.field.empty() && v.field[0] == '^';
  if (!any) return slim;
  std::string out = slim;
  while (!out.empty() && out.back() != '}') out.pop_back();
  if (out.empty()) out = "{}";
  out.pop_back();
  size_t last = out.find_last_not_of(" \t\r\n");
  bool has_members = last != std::string::npos && out[last] != '{';
  for (const auto& v : vectors) {
    if (v.field.empty() || v.field[0] != '^') continue;
    if (has_members) out.push_back(',');
    has_members = true;
    AppendJsonString(&out, std::string_view(v.field).substr(1));
    out.push_back(':');
    JsonWriter arr;
    arr.BeginArray();
    for (float f : v.values) arr.Float(f);
    arr.EndArray();
    out += arr.str();
  }
  out.push_back('}');
  return out;
}

void CollectFieldVectors(const VectorField& field, uint32_t docnum,
                         const std::vector<storage::StoredVector>& stored,
                         std::vector<uint64_t>* labels, std::vector<float>* values) {
  uint32_t ordinal = 0;
  for (const storage::StoredVector& v : stored) {
    std::string_view name = v.field;
    if (!name.empty() && name[0] == '^') name.remove_prefix(1);
    // Empty entries are nested placeholders; a size mismatch cannot pass the write checks.
    if (name != field.field || v.values.size() != field.spec.dim || v.values.empty()) continue;
    if (!field.nested) {
      // One vector per document; should a stored record hold two, the last one wins (as the
      // writer always did).
      if (!labels->empty() && labels->back() == docnum) {
        labels->pop_back();
        values->resize(values->size() - field.spec.dim);
      }
      labels->push_back(docnum);
    } else {
      labels->push_back(NestedLabel(docnum, ordinal++));
    }
    values->insert(values->end(), v.values.begin(), v.values.end());
  }
}

std::string Index::SnapshotPath(const VectorField& field) const {
  return snapshot_dir + "/" + field.file_stem + ".lkv";
}

void Index::AddPendingVectors(int64_t units) {
  std::lock_guard<std::mutex> lock(pending_mu_);
  pending_vectors_ += units;
}

void Index::DonePendingVectors(int64_t units) {
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    pending_vectors_ -= units;
  }
  pending_cv_.notify_all();
}

void Index::WaitNoPendingVectors() {
  std::unique_lock lock(pending_mu_);
  pending_cv_.wait(lock, [&] { return pending_vectors_ == 0; });
}

bool Index::NoPendingVectors() const {
  std::lock_guard<std::mutex> lock(pending_mu_);
  return pending_vectors_ == 0;
}

}  // namespace lookalike::engine
