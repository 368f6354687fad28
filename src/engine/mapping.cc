#include "engine/mapping.h"

#include <algorithm>
#include <cmath>

namespace lookalike::engine {
namespace {

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

}  // namespace

bool IsNumeric(FieldType t) {
  return t == FieldType::kLong || t == FieldType::kInteger || t == FieldType::kShort ||
         t == FieldType::kByte || t == FieldType::kDouble || t == FieldType::kFloat ||
         t == FieldType::kDate;
}

bool IsVector(FieldType t) { return t == FieldType::kKnnVector || t == FieldType::kDenseVector; }

float VectorScore(const VectorSpec& spec, float d) { return spec.similarity->score(d); }

Status Mapping::Merge(const MappingDefinition& definition, std::string_view default_space_type) {
  if (definition.dynamic) dynamic_ = *definition.dynamic;
  for (const FieldDefinition& field : definition.fields) {
    LOOKALIKE_RETURN_IF_ERROR(AddField(field, default_space_type));
  }
  return Status::OK();
}

namespace {

// The similarity row a vector field's name resolves to (see VectorFieldOptions::similarity).
Result<const VectorSimilarity*> ResolveSimilarity(const FieldDefinition& def,
                                                  std::string_view default_space_type) {
  if (def.type == FieldType::kDenseVector) {
    std::string_view sim = def.vector.similarity;
    if (sim.empty()) sim = "cosine";
    const VectorSimilarity* found = FindSimilarity(ScoreDialect::kElasticsearch, sim);
    if (found == nullptr) {
      return MapperParsingError("Unknown similarity [" + std::string(sim) + "] for field [" +
                                def.path + "]");
    }
    return found;
  }
  std::string_view space = def.vector.similarity;
  if (space.empty()) {
    space = default_space_type.empty() ? DefaultSimilarity().name : default_space_type;
  }
  const VectorSimilarity* found = FindSimilarity(ScoreDialect::kOpenSearch, space);
  if (found == nullptr) {
    return MapperParsingError("Unsupported space type: " + std::string(space) + " (supported: " +
                              SupportedSimilarityNames(ScoreDialect::kOpenSearch) + ")");
  }
  return found;
}

}  // namespace

Result<std::string> Mapping::NestedParent(const std::string& path,
                                          const FieldDefinition& def) const {
  std::string found;
  for (size_t dot = path.rfind('.'); dot != std::string::npos && dot > 0;
       dot = path.rfind('.', dot - 1)) {
    const FieldMapping* parent = Find(std::string_view(path).substr(0, dot));
    if (parent == nullptr || !parent->nested) continue;
    if (!found.empty()) {
      return IllegalArgument("vector field [" + path + "] is inside more than one nested object ([" +
                             parent->path + "] and [" + found +
                             "]): vectors under nested objects within nested objects are not "
                             "supported");
    }
    found = parent->path;
  }
  // A `model` alone only records what made the vectors (image queries embed with it), so it is
  // allowed: `ingest-images --crops` writes the crops of each image under nested. Filling the
  // field at index time (`source_field`) would need one image per nested object: refused.
  if (!found.empty() && def.embedding && !def.embedding->source_field.empty()) {
    return IllegalArgument("vector field [" + path + "] inside nested object [" + found +
                           "] cannot be filled at index time ([source_field]): only "
                           "top-level vector fields are embedded");
  }
  return found;
}

Status Mapping::AddField(const FieldDefinition& def, std::string_view default_space_type) {
  const std::string& path = def.path;
  FieldMapping f;
  f.path = path;
  f.type = def.type;
  f.is_subfield = def.is_subfield;
  f.ignore_above = def.ignore_above;
  f.subfields = def.subfields;
  f.given_parameters = def.given_parameters;
  f.embedding = def.embedding;
  if (def.is_subfield) {
    fields_[path] = std::move(f);
    return Status::OK();
  }
  auto existing = fields_.find(path);
  if (existing != fields_.end() && existing->second.type != f.type) {
    return IllegalArgument("mapper [" + path + "] cannot be changed from type [" +
                           std::string(FieldTypeName(existing->second.type)) + "] to [" +
                           std::string(FieldTypeName(f.type)) + "]");
  }
  f.nested = def.nested;
  if (f.type == FieldType::kObject) {
    if (existing != fields_.end() && existing->second.nested != f.nested) {
      // Elasticsearch refuses this too: the stored documents were split (or not) by the old
      // kind, so the vectors already indexed would not match the new one.
      return IllegalArgument("object mapping [" + path + "] can't be changed from " +
                             (f.nested ? "non-nested to nested" : "nested to non-nested"));
    }
    f.given_parameters.clear();
    f.subfields.clear();
    fields_[path] = std::move(f);
    return Status::OK();
  }
  if (IsVector(f.type)) {
    LOOKALIKE_ASSIGN_OR_RETURN(f.vector.similarity, ResolveSimilarity(def, default_space_type));
    f.vector.metric = f.vector.similarity->metric;
    f.vector.dim = def.vector.dims;
    f.vector.flat = def.vector.flat;
    f.vector.indexed = def.vector.indexed;
    f.vector.hnsw = def.vector.hnsw;
    if (existing != fields_.end() && existing->second.vector.dim != f.vector.dim) {
      return IllegalArgument("mapper [" + path + "] cannot change its dimension");
    }
    LOOKALIKE_ASSIGN_OR_RETURN(f.nested_path, NestedParent(path, def));
    if (existing != fields_.end() && existing->second.nested_path != f.nested_path) {
      return IllegalArgument("mapper [" + path + "] cannot move into or out of a nested object");
    }
  }
  // Object parents of a dotted path are implicit objects.
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1)) {
    std::string parent = path.substr(0, dot);
    if (!fields_.count(parent)) {
      FieldMapping p;
      p.path = parent;
      p.type = FieldType::kObject;
      fields_[parent] = p;
    }
  }
  fields_[path] = std::move(f);
  return Status::OK();
}

MappingDefinition Mapping::Describe() const {
  MappingDefinition out;
  out.dynamic = dynamic_;
  out.fields.reserve(fields_.size());
  for (const auto& [path, f] : fields_) {
    FieldDefinition d;
    d.path = path;
    d.type = f.type;
    d.is_subfield = f.is_subfield;
    d.subfields = f.subfields;
    d.ignore_above = f.ignore_above;
    d.given_parameters = f.given_parameters;
    d.embedding = f.embedding;
    d.nested = f.nested;
    if (IsVector(f.type)) {
      d.vector.dims = f.vector.dim;
      d.vector.similarity = std::string(f.vector.similarity->name);
      d.vector.flat = f.vector.flat;
      d.vector.indexed = f.vector.indexed;
      d.vector.hnsw = f.vector.hnsw;
    }
    out.fields.push_back(std::move(d));
  }
  return out;
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
  if (dynamic_ == DynamicMapping::kFalse) return static_cast<const FieldMapping*>(nullptr);
  if (dynamic_ == DynamicMapping::kStrict) {
    size_t dot = path.rfind('.');
    std::string parent = dot == std::string::npos ? "_doc" : path.substr(0, dot);
    return Status::InvalidArgument("mapping set to strict, dynamic introduction of [" +
                                   path.substr(dot == std::string::npos ? 0 : dot + 1) +
                                   "] within [" + parent + "] is not allowed")
        .WithKind(ErrorKind::kStrictMapping);
  }
  using simdjson::dom::element_type;
  FieldDefinition def;
  def.path = path;
  FieldDefinition keyword;  // the keyword multi-field of a dynamic text field
  switch (sample.type()) {
    case element_type::STRING: {
      int64_t ms;
      std::string_view s = sample.get_string().value_unsafe();
      // date_detection: only full dates, not bare numbers.
      if (s.size() >= 10 && s[4] == '-' && ParseDateMillis(s, &ms)) {
        def.type = FieldType::kDate;
      } else {
        def.type = FieldType::kText;
        keyword.path = path + ".keyword";
        keyword.type = FieldType::kKeyword;
        keyword.is_subfield = true;
        keyword.ignore_above = 256;
        def.subfields.push_back(keyword.path);
      }
      break;
    }
    case element_type::INT64:
    case element_type::UINT64: def.type = FieldType::kLong; break;
    case element_type::DOUBLE: def.type = FieldType::kFloat; break;
    case element_type::BOOL: def.type = FieldType::kBoolean; break;
    case element_type::OBJECT: def.type = FieldType::kObject; break;
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
    size_t adding = 1 + def.subfields.size();
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
  if (def.type == FieldType::kObject) {
    FieldMapping p;
    p.path = path;
    p.type = FieldType::kObject;
    fields_[path] = p;
  } else {
    LOOKALIKE_RETURN_IF_ERROR(AddField(def, ""));
    if (!keyword.path.empty()) LOOKALIKE_RETURN_IF_ERROR(AddField(keyword, ""));
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

}  // namespace lookalike::engine
