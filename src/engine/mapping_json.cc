// See mapping_json.h. The messages are Elasticsearch's (or OpenSearch k-NN's) where clients
// match on them.
#include "engine/mapping_json.h"

#include <cmath>
#include <map>

#include "index/metric.h"

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

bool IsVectorType(FieldType t) { return t == FieldType::kKnnVector || t == FieldType::kDenseVector; }

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

// Our code-type option: "encoder": "int8|fp16|1bit|none" or the OpenSearch Faiss form
// {"name":"sq","parameters":{"type":"fp16|int8"}} / {"name":"binary"}.
Result<CodeType> ParseEncoder(element enc) {
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
  return *ct;
}

Status ParseKnnVector(const std::string& path, element def, VectorFieldOptions* spec) {
  LOOKALIKE_ASSIGN_OR_RETURN(int64_t dim, GetInt(def, "dimension", -1, 1, 16000, path));
  if (dim < 0) {
    return MapperParsingError("Dimension value missing for vector: " + path);
  }
  spec->dims = static_cast<size_t>(dim);
  std::string space = GetString(def, "space_type");
  element method;
  if (def.at_key("method").get(method) == simdjson::SUCCESS) {
    std::string name = GetString(method, "name");
    if (!name.empty() && name != "hnsw" && name != "flat") {
      return MapperParsingError("Invalid method name: " + name + " (supported: hnsw)");
    }
    std::string s = GetString(method, "space_type");
    if (!s.empty()) space = s;
    element params;
    if (method.at_key("parameters").get(params) == simdjson::SUCCESS) {
      LOOKALIKE_ASSIGN_OR_RETURN(int64_t m, GetInt(params, "m", 16, 2, 512, path));
      LOOKALIKE_ASSIGN_OR_RETURN(int64_t efc,
                                 GetInt(params, "ef_construction", 128, 2, 10000, path));
      LOOKALIKE_ASSIGN_OR_RETURN(int64_t efs, GetInt(params, "ef_search", 0, 0, 10000, path));
      spec->hnsw.m = static_cast<int>(m);
      spec->hnsw.ef_construction = static_cast<int>(efc);
      if (efs > 0) spec->hnsw.ef_search = static_cast<int>(efs);
      element enc;
      if (params.at_key("encoder").get(enc) == simdjson::SUCCESS) {
        LOOKALIKE_ASSIGN_OR_RETURN(spec->hnsw.code, ParseEncoder(enc));
      }
    }
    if (name == "flat") spec->flat = true;
  }
  // Without a space type the index's index.knn.space_type applies (resolved by the engine).
  if (!space.empty() && FindSimilarity(ScoreDialect::kOpenSearch, space) == nullptr) {
    return MapperParsingError("Unsupported space type: " + space + " (supported: " +
                              SupportedSimilarityNames(ScoreDialect::kOpenSearch) + ")");
  }
  spec->similarity = space;
  return Status::OK();
}

Status ParseDenseVector(const std::string& path, element def, VectorFieldOptions* spec) {
  LOOKALIKE_ASSIGN_OR_RETURN(int64_t dim, GetInt(def, "dims", -1, 1, 4096, path));
  if (dim < 0) {
    return MapperParsingError("The number of dimensions for field [" + path + "] should be set");
  }
  spec->dims = static_cast<size_t>(dim);
  bool index = true;
  if (def.at_key("index").get_bool().get(index)) index = true;
  spec->indexed = index;
  std::string sim = GetString(def, "similarity");
  if (sim.empty()) sim = "cosine";
  if (FindSimilarity(ScoreDialect::kElasticsearch, sim) == nullptr) {
    return MapperParsingError("Unknown similarity [" + sim + "] for field [" + path + "]");
  }
  spec->similarity = sim;
  spec->hnsw.code = CodeType::kInt8;  // the Elasticsearch 8 default is int8_hnsw
  spec->hnsw.ef_construction = 100;
  element opts;
  if (def.at_key("index_options").get(opts) != simdjson::SUCCESS) return Status::OK();
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
  return Status::OK();
}

// The multi-fields of `f` ("fields":{...}), appended to `out` after it.
Status ParseMultiFields(element def, FieldDefinition* f, std::vector<FieldDefinition>* subs) {
  element multi;
  if (def.at_key("fields").get(multi) != simdjson::SUCCESS || !multi.is_object()) {
    return Status::OK();
  }
  for (auto sub : AsObject(multi)) {
    FieldDefinition s;
    s.path = f->path + "." + std::string(sub.key);
    s.is_subfield = true;
    std::string sub_type = GetString(sub.value, "type");
    s.type = sub_type == "text" ? FieldType::kText : FieldType::kKeyword;
    if (sub_type != "text" && sub_type != "keyword") {
      std::optional<FieldType> named = FieldTypeNamed(sub_type);
      if (named && !IsVectorType(*named) && *named != FieldType::kObject) s.type = *named;
    }
    LOOKALIKE_ASSIGN_OR_RETURN(int64_t ia,
                               GetInt(sub.value, "ignore_above", -1, 0, 1 << 30, s.path));
    s.ignore_above = static_cast<int>(ia);
    s.given_parameters = ElementToJson(sub.value);
    f->subfields.push_back(s.path);
    subs->push_back(std::move(s));
  }
  return Status::OK();
}

Status ParseField(const std::string& path, element def, MappingDefinition* out) {
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
  std::optional<FieldType> type = FieldTypeNamed(type_name);
  if (!type) {
    return MapperParsingError("No handler for type [" + type_name + "] declared on field [" +
                              path + "]");
  }
  FieldDefinition f;
  f.path = path;
  f.type = *type;
  f.nested = type_name == "nested";
  if (f.type == FieldType::kObject) {
    out->fields.push_back(std::move(f));
    if (has_props && sub_props.is_object()) {
      for (auto child : AsObject(sub_props)) {
        LOOKALIKE_RETURN_IF_ERROR(ParseField(path + "." + std::string(child.key), child.value, out));
      }
    }
    return Status::OK();
  }
  if (f.type == FieldType::kKnnVector) {
    LOOKALIKE_RETURN_IF_ERROR(ParseKnnVector(path, def, &f.vector));
  } else if (f.type == FieldType::kDenseVector) {
    LOOKALIKE_RETURN_IF_ERROR(ParseDenseVector(path, def, &f.vector));
  } else if (f.type == FieldType::kKeyword) {
    LOOKALIKE_ASSIGN_OR_RETURN(int64_t ia, GetInt(def, "ignore_above", -1, 0, 1 << 30, path));
    f.ignore_above = static_cast<int>(ia);
  }
  std::string source_field = GetString(def, "source_field");
  std::string model = GetString(def, "model");
  if (IsVectorType(f.type) && (!source_field.empty() || !model.empty())) {
    f.embedding = EmbeddingSpec{std::move(source_field), std::move(model)};
  }
  f.given_parameters = ElementToJson(def);
  std::vector<FieldDefinition> subs;
  LOOKALIKE_RETURN_IF_ERROR(ParseMultiFields(def, &f, &subs));
  out->fields.push_back(std::move(f));
  for (auto& s : subs) out->fields.push_back(std::move(s));
  return Status::OK();
}

Status ParseMappingInto(element mappings, MappingDefinition* out) {
  if (!mappings.is_object()) return MapperParsingError("mappings must be an object");
  std::string_view dyn;
  bool dyn_bool;
  if (mappings.at_key("dynamic").get_string().get(dyn) == simdjson::SUCCESS) {
    if (dyn != "true" && dyn != "false" && dyn != "strict" && dyn != "runtime") {
      return MapperParsingError("Could not convert [dynamic] to boolean");
    }
    out->dynamic = dyn == "true"     ? DynamicMapping::kTrue
                   : dyn == "strict" ? DynamicMapping::kStrict
                                     : DynamicMapping::kFalse;
  } else if (mappings.at_key("dynamic").get_bool().get(dyn_bool) == simdjson::SUCCESS) {
    out->dynamic = dyn_bool ? DynamicMapping::kTrue : DynamicMapping::kFalse;
  }
  // Accept the typeless form and the legacy {"_doc":{"properties":...}} form.
  element props;
  if (mappings.at_key("properties").get(props) != simdjson::SUCCESS) {
    element doc;
    if (mappings.at_key("_doc").get(doc) == simdjson::SUCCESS) return ParseMappingInto(doc, out);
    return Status::OK();
  }
  if (!props.is_object()) return MapperParsingError("[properties] must be an object");
  for (auto field : AsObject(props)) {
    LOOKALIKE_RETURN_IF_ERROR(ParseField(std::string(field.key), field.value, out));
  }
  return Status::OK();
}

using FieldsByPath = std::map<std::string_view, const FieldDefinition*>;

// A field without given parameters (dynamic mapping): its type, ignore_above, multi-fields.
void WriteTypedField(JsonWriter& w, const FieldDefinition& f, const FieldsByPath& fields) {
  w.BeginObject().Key("type").String(FieldTypeName(f.type));
  if (f.ignore_above >= 0) w.Key("ignore_above").Int(f.ignore_above);
  if (!f.subfields.empty()) {
    w.Key("fields").BeginObject();
    for (const std::string& sub_path : f.subfields) {
      auto it = fields.find(sub_path);
      if (it == fields.end()) continue;
      w.Key(std::string_view(sub_path).substr(f.path.size() + 1));
      if (it->second->given_parameters.empty()) {
        WriteTypedField(w, *it->second, fields);
      } else {
        w.Raw(it->second->given_parameters);
      }
    }
    w.EndObject();
  }
  w.EndObject();
}

// Writes the nested "properties" object for every field under `prefix`.
void WriteProperties(JsonWriter& w, const FieldsByPath& fields, const std::string& prefix) {
  w.BeginObject();
  for (auto it = fields.lower_bound(prefix); it != fields.end(); ++it) {
    std::string_view path = it->first;
    if (path.compare(0, prefix.size(), prefix) != 0) break;
    const FieldDefinition& f = *it->second;
    if (f.is_subfield) continue;
    std::string_view rest = path.substr(prefix.size());
    if (rest.find('.') != std::string_view::npos) continue;  // written by its object
    w.Key(rest);
    if (f.type == FieldType::kObject) {
      w.BeginObject();
      if (f.nested) w.Key("type").String("nested");
      w.Key("properties");
      WriteProperties(w, fields, std::string(path) + ".");
      w.EndObject();
    } else if (f.given_parameters.empty()) {
      WriteTypedField(w, f, fields);
    } else {
      w.Raw(f.given_parameters);
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

std::optional<FieldType> FieldTypeNamed(std::string_view name) {
  for (const auto& t : kTypes) {
    if (t.name == name) return t.type;
  }
  return std::nullopt;
}

Result<MappingDefinition> ParseMappingJson(element mappings) {
  MappingDefinition out;
  LOOKALIKE_RETURN_IF_ERROR(ParseMappingInto(mappings, &out));
  return out;
}

void WriteMappingJson(JsonWriter& w, const MappingDefinition& mapping) {
  FieldsByPath fields;
  for (const FieldDefinition& f : mapping.fields) fields[f.path] = &f;
  w.BeginObject();
  DynamicMapping dynamic = mapping.dynamic.value_or(DynamicMapping::kTrue);
  if (dynamic != DynamicMapping::kTrue) {
    w.Key("dynamic").String(dynamic == DynamicMapping::kStrict ? "strict" : "false");
  }
  w.Key("properties");
  WriteProperties(w, fields, "");
  w.EndObject();
}

}  // namespace lookalike::engine

namespace lookalike {

const FieldDefinition* MappingDefinition::Find(std::string_view path) const {
  for (const FieldDefinition& f : fields) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

std::vector<const FieldDefinition*> MappingDefinition::EmbeddedFields() const {
  std::vector<const FieldDefinition*> out;
  for (const FieldDefinition& f : fields) {
    if (f.embedding && !f.embedding->source_field.empty()) out.push_back(&f);
  }
  return out;
}

}  // namespace lookalike
