#include "engine/mapping.h"

#include <algorithm>
#include <cmath>

namespace lookalike::engine {
namespace {

struct TypeName {
  std::string_view name;
  FieldType type;
};
constexpr TypeName kTypes[] = {
    {"object", FieldType::kObject},       {"keyword", FieldType::kKeyword},
    {"text", FieldType::kText},           {"long", FieldType::kLong},
    {"integer", FieldType::kInteger},     {"short", FieldType::kShort},
    {"byte", FieldType::kByte},           {"double", FieldType::kDouble},
    {"float", FieldType::kFloat},         {"boolean", FieldType::kBoolean},
    {"date", FieldType::kDate},           {"knn_vector", FieldType::kKnnVector},
    {"dense_vector", FieldType::kDenseVector},
    // Accepted aliases that behave like a supported type.
    {"half_float", FieldType::kFloat},    {"scaled_float", FieldType::kDouble},
    {"unsigned_long", FieldType::kLong},  {"constant_keyword", FieldType::kKeyword},
    {"wildcard", FieldType::kKeyword},    {"match_only_text", FieldType::kText},
    {"nested", FieldType::kObject},       {"flattened", FieldType::kObject},
};

Result<int64_t> GetInt(element obj, std::string_view key, int64_t def, int64_t lo, int64_t hi,
                       std::string_view field) {
  element v;
  if (obj.at_key(key).get(v) != simdjson::SUCCESS) return def;
  double d;
  if (!ElementToDouble(v, &d) || d != std::floor(d) || d < lo || d > hi) {
    return MapperParsingError("[" + std::string(key) + "] of field [" + std::string(field) +
                              "] must be an integer in [" + std::to_string(lo) + ", " +
                              std::to_string(hi) + "]");
  }
  return static_cast<int64_t>(d);
}

std::string GetString(element obj, std::string_view key) {
  std::string_view s;
  if (obj.at_key(key).get_string().get(s) != simdjson::SUCCESS) return "";
  return std::string(s);
}

Status ParseKnnVector(const std::string& path, element def, std::string_view default_space,
                      VectorSpec* spec) {
  LOOKALIKE_ASSIGN_OR_RETURN(int64_t dim, GetInt(def, "dimension", -1, 1, 16000, path));
  if (dim < 0) {
    return MapperParsingError("Dimension value missing for vector: " + path);
  }
  spec->dim = static_cast<size_t>(dim);
  std::string space = GetString(def, "space_type");
  element method;
  bool has_method = def.at_key("method").get(method) == simdjson::SUCCESS;
  if (has_method) {
    std::string name = GetString(method, "name");
    if (!name.empty() && name != "hnsw" && name != "flat") {
      return MapperParsingError("Invalid method name: " + name + " (supported: hnsw)");
    }
    std::string s = GetString(method, "space_type");
    if (!s.empty()) space = s;
    element params;
    if (method.at_key("parameters").get(params) == simdjson::SUCCESS) {
      LOOKALIKE_ASSIGN_OR_RETURN(int64_t m, GetInt(params, "m", 16, 2, 512, path));
      LOOKALIKE_ASSIGN_OR_RETURN(int64_t efc, GetInt(params, "ef_construction", 128, 2, 10000, path));
      LOOKALIKE_ASSIGN_OR_RETURN(int64_t efs, GetInt(params, "ef_search", 0, 0, 10000, path));
      spec->hnsw.m = static_cast<int>(m);
      spec->hnsw.ef_construction = static_cast<int>(efc);
      if (efs > 0) spec->hnsw.ef_search = static_cast<int>(efs);
      // Our code-type option: "encoder": "int8|fp16|1bit|none" or the OpenSearch Faiss form
      // {"name":"sq","parameters":{"type":"fp16|int8"}} / {"name":"binary"}.
      element enc;
      if (params.at_key("encoder").get(enc) == simdjson::SUCCESS) {
        std::string code;
        if (enc.is_string()) {
          code = std::string(enc.get_string().value_unsafe());
        } else {
          std::string ename = GetString(enc, "name");
          element ep;
          std::string etype;
          if (enc.at_key("parameters").get(ep) == simdjson::SUCCESS) etype = GetString(ep, "type");
          if (ename == "sq") code = etype.empty() ? "fp16" : etype;
          else if (ename == "binary" || ename == "bbq") code = "1bit";
          else if (ename == "flat" || ename.empty()) code = "none";
          else code = ename;
        }
        auto ct = ParseCodeType(code);
        if (!ct.ok()) return MapperParsingError(ct.status().message());
        spec->hnsw.code = *ct;
      }
    }
    if (name == "flat") spec->flat = true;
  }
  if (space.empty()) space = default_space.empty() ? DefaultSimilarity().name : default_space;
  const VectorSimilarity* similarity = FindSimilarity(ScoreDialect::kOpenSearch, space);
  if (similarity == nullptr) {
    return MapperParsingError("Unsupported space type: " + space + " (supported: " +
                              SupportedSimilarityNames(ScoreDialect::kOpenSearch) + ")");
  }
  spec->similarity = similarity;
  spec->metric = similarity->metric;
  return Status::OK();
}

Status ParseDenseVector(const std::string& path, element def, VectorSpec* spec) {
  LOOKALIKE_ASSIGN_OR_RETURN(int64_t dim, GetInt(def, "dims", -1, 1, 4096, path));
  if (dim < 0) return MapperParsingError("The number of dimensions for field [" + path +
                                         "] should be set");
  spec->dim = static_cast<size_t>(dim);
  bool index = true;
  if (def.at_key("index").get_bool().get(index)) index = true;
  spec->indexed = index;
  std::string sim = GetString(def, "similarity");
  if (sim.empty()) sim = "cosine";
  const VectorSimilarity* similarity = FindSimilarity(ScoreDialect::kElasticsearch, sim);
  if (similarity == nullptr) {
    return MapperParsingError("Unknown similarity [" + sim + "] for field [" + path + "]");
  }
  spec->similarity = similarity;
  spec->metric = similarity->metric;
  spec->hnsw.code = CodeType::kInt8;  // the Elasticsearch 8 default is int8_hnsw
  spec->hnsw.ef_construction = 100;
  element opts;
  if (def.at_key("index_options").get(opts) == simdjson::SUCCESS) {
    std::string type = GetString(opts, "type");
    if (type == "hnsw") spec->hnsw.code = CodeType::kFloat32;
    else if (type == "int8_hnsw" || type.empty()) spec->hnsw.code = CodeType::kInt8;
    else if (type == "int4_hnsw") spec->hnsw.code = CodeType::kInt8;
    else if (type == "bbq_hnsw") spec->hnsw.code = CodeType::kBinary;
    else if (type == "flat" || type == "int8_flat" || type == "int4_flat" || type == "bbq_flat")
      spec->flat = true;
    else return MapperParsingError("Unknown vector index options type [" + type + "] for field [" +
                                   path + "]");
    LOOKALIKE_ASSIGN_OR_RETURN(int64_t m, GetInt(opts, "m", 16, 2, 512, path));
    LOOKALIKE_ASSIGN_OR_RETURN(int64_t efc, GetInt(opts, "ef_construction", 100, 2, 3200, path));
    spec->hnsw.m = static_cast<int>(m);
    spec->hnsw.ef_construction = static_cast<int>(efc);
  }
  return Status::OK();
}

size_t PathDepth(std::string_view path) {
  return static_cast<size_t>(std::count(path.begin(), path.end(), '.')) + 1;
}

Status TotalFieldsError(int64_t limit, size_t adding) {
  return IllegalArgument("Limit of total fields [" + std::to_string(limit) +
                         "] has been exceeded while adding new fields [" +
                         std::to_string(adding) + "]");
}

Status DepthError(int64_t limit, std::string_view object_path) {
  return IllegalArgument("Limit of mapping depth [" + std::to_string(limit) +
                         "] has been exceeded due to object field [" + std::string(object_path) +
                         "]");
}

// Every segment of `path` within the name length limits.
Status CheckNameLength(std::string_view path, const MappingLimits& limits) {
  size_t cap = kMaxFieldNameSegmentBytes;
  if (limits.field_name_length > 0 && static_cast<uint64_t>(limits.field_name_length) < cap) {
    cap = static_cast<size_t>(limits.field_name_length);
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    if (dot == std::string_view::npos) dot = path.size();
    if (dot - start > cap) {
      return IllegalArgument("Field name [" + std::string(path.substr(start, dot - start)) +
                             "] is longer than the limit of [" + std::to_string(cap) +
                             "] characters");
    }
    start = dot + 1;
  }
  return Status::OK();
}

// Writes the nested "properties" object for every field under `prefix`.
void WriteProperties(JsonWriter& w, const std::map<std::string, FieldMapping>& fields,
                     const std::string& prefix) {
  w.BeginObject();
  for (auto it = fields.lower_bound(prefix); it != fields.end(); ++it) {
    const std::string& path = it->first;
    if (path.compare(0, prefix.size(), prefix) != 0) break;
    const FieldMapping& f = it->second;
    if (f.is_subfield) continue;
    std::string_view rest = std::string_view(path).substr(prefix.size());
    if (rest.find('.') != std::string_view::npos) continue;  // written by its object
    w.Key(rest);
    if (f.type == FieldType::kObject) {
      w.BeginObject().Key("properties");
      WriteProperties(w, fields, path + ".");
      w.EndObject();
    } else {
      w.Raw(f.definition);
    }
  }
  w.EndObject();
}

}  // namespace

std::string_view FieldTypeName(FieldType type) {
  for (const auto& t : kTypes) {
    if (t.type == type) return t.name;
  }
  return "unknown";
}

bool IsNumeric(FieldType t) {
  return t == FieldType::kLong || t == FieldType::kInteger || t == FieldType::kShort ||
         t == FieldType::kByte || t == FieldType::kDouble || t == FieldType::kFloat ||
         t == FieldType::kDate;
}

bool IsVector(FieldType t) { return t == FieldType::kKnnVector || t == FieldType::kDenseVector; }

float VectorScore(const VectorSpec& spec, float d) { return spec.similarity->score(d); }

Status Mapping::Merge(element mappings, std::string_view default_space_type) {
  if (!mappings.is_object()) return MapperParsingError("mappings must be an object");
  std::string_view dyn;
  bool dyn_bool;
  if (mappings.at_key("dynamic").get_string().get(dyn) == simdjson::SUCCESS) {
    if (dyn != "true" && dyn != "false" && dyn != "strict" && dyn != "runtime") {
      return MapperParsingError("Could not convert [dynamic] to boolean");
    }
    dynamic_ = dyn == "runtime" ? "false" : std::string(dyn);
  } else if (mappings.at_key("dynamic").get_bool().get(dyn_bool) == simdjson::SUCCESS) {
    dynamic_ = dyn_bool ? "true" : "false";
  }
  // Accept the typeless form and the legacy {"_doc":{"properties":...}} form.
  element props;
  if (mappings.at_key("properties").get(props) != simdjson::SUCCESS) {
    element doc;
    if (mappings.at_key("_doc").get(doc) == simdjson::SUCCESS) return Merge(doc, default_space_type);
    return Status::OK();
  }
  if (!props.is_object()) return MapperParsingError("[properties] must be an object");
  for (auto field : AsObject(props)) {
    LOOKALIKE_RETURN_IF_ERROR(AddField(std::string(field.key), field.value, default_space_type));
  }
  return Status::OK();
}

Status Mapping::AddField(const std::string& path, element def,
                         std::string_view default_space_type) {
  if (!def.is_object()) {
    return MapperParsingError("Expected map for property [fields] on field [" + path + "]");
  }
  if (path.empty() || path.front() == '.' || path.back() == '.') {
    return MapperParsingError("field name cannot be empty or start/end with '.': [" + path + "]");
  }
  std::string type_name = GetString(def, "type");
  element sub_props;
  bool has_props = def.at_key("properties").get(sub_props) == simdjson::SUCCESS;
  if (type_name.empty()) {
    if (!has_props) return MapperParsingError("No type specified for field [" + path + "]");
    type_name = "object";
  }
  FieldMapping f;
  f.path = path;
  bool known = false;
  for (const auto& t : kTypes) {
    if (t.name == type_name) {
      f.type = t.type;
      known = true;
    }
  }
  if (!known) {
    return MapperParsingError("No handler for type [" + type_name + "] declared on field [" +
                              path + "]");
  }
  auto existing = fields_.find(path);
  if (existing != fields_.end() && existing->second.type != f.type) {
    return IllegalArgument("mapper [" + path + "] cannot be changed from type [" +
                           std::string(FieldTypeName(existing->second.type)) + "] to [" +
                           type_name + "]");
  }
  if (f.type == FieldType::kObject) {
    f.definition = "{\"type\":\"object\"}";
    fields_[path] = f;
    if (has_props && sub_props.is_object()) {
      for (auto child : AsObject(sub_props)) {
        LOOKALIKE_RETURN_IF_ERROR(
            AddField(path + "." + std::string(child.key), child.value, default_space_type));
      }
    }
    return Status::OK();
  }
  if (f.type == FieldType::kKnnVector) {
    LOOKALIKE_RETURN_IF_ERROR(ParseKnnVector(path, def, default_space_type, &f.vector));
  } else if (f.type == FieldType::kDenseVector) {
    LOOKALIKE_RETURN_IF_ERROR(ParseDenseVector(path, def, &f.vector));
  }
  if (IsVector(f.type)) {
    f.vector.source_field = GetString(def, "source_field");
    f.vector.model = GetString(def, "model");
  } else if (f.type == FieldType::kKeyword) {
    LOOKALIKE_ASSIGN_OR_RETURN(int64_t ia, GetInt(def, "ignore_above", -1, 0, 1 << 30, path));
    f.ignore_above = static_cast<int>(ia);
  }
  if (existing != fields_.end() && IsVector(f.type) &&
      existing->second.vector.dim != f.vector.dim) {
    return IllegalArgument("mapper [" + path + "] cannot change its dimension");
  }
  f.definition = ElementToJson(def);
  // Object parents of a dotted path are implicit objects.
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1)) {
    std::string parent = path.substr(0, dot);
    if (!fields_.count(parent)) {
      FieldMapping p;
      p.path = parent;
      p.type = FieldType::kObject;
      p.definition = "{\"type\":\"object\"}";
      fields_[parent] = p;
    }
  }
  element multi;
  if (def.at_key("fields").get(multi) == simdjson::SUCCESS && multi.is_object()) {
    for (auto sub : AsObject(multi)) {
      std::string sub_path = path + "." + std::string(sub.key);
      std::string sub_type = GetString(sub.value, "type");
      FieldMapping s;
      s.path = sub_path;
      s.is_subfield = true;
      s.type = sub_type == "text" ? FieldType::kText : FieldType::kKeyword;
      if (sub_type != "text" && sub_type != "keyword") {
        for (const auto& t : kTypes) {
          if (t.name == sub_type && !IsVector(t.type) && t.type != FieldType::kObject)
            s.type = t.type;
        }
      }
      LOOKALIKE_ASSIGN_OR_RETURN(int64_t ia,
                                 GetInt(sub.value, "ignore_above", -1, 0, 1 << 30, sub_path));
      s.ignore_above = static_cast<int>(ia);
      s.definition = ElementToJson(sub.value);
      f.subfields.push_back(sub_path);
      fields_[sub_path] = s;
    }
  }
  fields_[path] = std::move(f);
  return Status::OK();
}

const FieldMapping* Mapping::Find(std::string_view path) const {
  auto it = fields_.find(std::string(path));
  return it == fields_.end() ? nullptr : &it->second;
}

Status Mapping::CheckLimits(const MappingLimits& limits) const {
  if (static_cast<int64_t>(fields_.size()) > limits.total_fields) {
    return TotalFieldsError(limits.total_fields,
                            fields_.size() - static_cast<size_t>(limits.total_fields));
  }
  for (const auto& [path, f] : fields_) {
    if (f.type == FieldType::kObject && static_cast<int64_t>(PathDepth(path)) > limits.depth) {
      return DepthError(limits.depth, path);
    }
    LOOKALIKE_RETURN_IF_ERROR(CheckNameLength(path, limits));
  }
  return Status::OK();
}

Result<const FieldMapping*> Mapping::AddDynamic(const std::string& path, element sample,
                                                const MappingLimits* limits) {
  if (dynamic_ == "false") return static_cast<const FieldMapping*>(nullptr);
  if (dynamic_ == "strict") {
    size_t dot = path.rfind('.');
    std::string parent = dot == std::string::npos ? "_doc" : path.substr(0, dot);
    return Status::InvalidArgument("mapping set to strict, dynamic introduction of [" +
                                   path.substr(dot == std::string::npos ? 0 : dot + 1) +
                                   "] within [" + parent + "] is not allowed")
        .WithType("strict_dynamic_mapping_exception");
  }
  using simdjson::dom::element_type;
  std::string def;
  switch (sample.type()) {
    case element_type::STRING: {
      int64_t ms;
      std::string_view s = sample.get_string().value_unsafe();
      // date_detection: only full dates, not bare numbers.
      if (s.size() >= 10 && s[4] == '-' && ParseDateMillis(s, &ms)) {
        def = "{\"type\":\"date\"}";
      } else {
        def = "{\"type\":\"text\",\"fields\":{\"keyword\":{\"type\":\"keyword\","
              "\"ignore_above\":256}}}";
      }
      break;
    }
    case element_type::INT64:
    case element_type::UINT64: def = "{\"type\":\"long\"}"; break;
    case element_type::DOUBLE: def = "{\"type\":\"float\"}"; break;
    case element_type::BOOL: def = "{\"type\":\"boolean\"}"; break;
    case element_type::OBJECT: def = "{\"type\":\"object\"}"; break;
    default: return static_cast<const FieldMapping*>(nullptr);
  }
  if (limits) {
    // Checked before anything is added, so a refused document leaves the mapping as it was.
    LOOKALIKE_RETURN_IF_ERROR(CheckNameLength(path, *limits));
    bool is_object = sample.type() == element_type::OBJECT;
    size_t depth = PathDepth(path);
    if (is_object && static_cast<int64_t>(depth) > limits->depth) {
      return DepthError(limits->depth, path);
    }
    size_t adding = 1 + (def.find("\"fields\"") != std::string::npos ? 1 : 0);
    for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1)) {
      if (!fields_.count(path.substr(0, dot))) {
        ++adding;  // an implicit parent object of a dotted name
        if (static_cast<int64_t>(PathDepth(path.substr(0, dot))) > limits->depth) {
          return DepthError(limits->depth, path.substr(0, dot));
        }
      }
    }
    if (static_cast<int64_t>(fields_.size() + adding) > limits->total_fields) {
      return TotalFieldsError(limits->total_fields, adding);
    }
  }
  // Everything this call may create, to journal what is new afterwards.
  std::vector<std::string> candidates{path};
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1)) {
    candidates.push_back(path.substr(0, dot));
  }
  candidates.push_back(path + ".keyword");
  std::vector<std::string> absent;
  for (auto& c : candidates) {
    if (!fields_.count(c)) absent.push_back(std::move(c));
  }
  simdjson::dom::parser parser;
  LOOKALIKE_ASSIGN_OR_RETURN(element parsed, ParseJson(parser, def));
  if (sample.type() == element_type::OBJECT) {
    FieldMapping p;
    p.path = path;
    p.type = FieldType::kObject;
    p.definition = def;
    fields_[path] = p;
  } else {
    LOOKALIKE_RETURN_IF_ERROR(AddField(path, parsed, ""));
  }
  for (auto& key : absent) {
    if (fields_.count(key)) journal_.push_back(std::move(key));
  }
  return Find(path);
}

void Mapping::RollbackDynamic() {
  // A dynamic multi-field is only ever created with its parent, so both are in the journal.
  for (const std::string& key : journal_) fields_.erase(key);
  journal_.clear();
}

void Mapping::WriteJson(JsonWriter& w) const {
  w.BeginObject();
  if (dynamic_ != "true") w.Key("dynamic").String(dynamic_);
  w.Key("properties");
  WriteProperties(w, fields_, "");
  w.EndObject();
}

std::string Mapping::ToJson() const {
  JsonWriter w;
  WriteJson(w);
  return w.Take();
}

}  // namespace lookalike::engine
