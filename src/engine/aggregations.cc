#include "engine/aggregations.h"

#include <algorithm>
#include <cmath>

#include "engine/index.h"

namespace lookalike::engine {
namespace {

constexpr const char* kSupported = "terms, min, max, avg, sum, value_count";

bool KindFromName(std::string_view name, AggRequest::Kind* kind) {
  using K = AggRequest::Kind;
  if (name == "terms") *kind = K::kTerms;
  else if (name == "min") *kind = K::kMin;
  else if (name == "max") *kind = K::kMax;
  else if (name == "avg") *kind = K::kAvg;
  else if (name == "sum") *kind = K::kSum;
  else if (name == "value_count") *kind = K::kValueCount;
  else return false;
  return true;
}

}  // namespace

Status ParseAggregations(element aggs, std::vector<AggRequest>* out) {
  if (!aggs.is_object()) return ParsingError("[aggs] must be an object");
  for (auto [name, def] : AsObject(aggs)) {
    if (!def.is_object()) {
      return ParsingError("Expected [START_OBJECT] under aggregation [" + std::string(name) + "]");
    }
    AggRequest r;
    r.name = std::string(name);
    bool have_type = false;
    for (auto [key, body] : AsObject(def)) {
      if (key == "aggs" || key == "aggregations") {
        return IllegalArgument("sub-aggregations are not supported (in [" + r.name + "])");
      }
      if (key == "meta") continue;
      if (have_type) {
        return ParsingError("Found two aggregation type definitions in [" + r.name + "]");
      }
      if (!KindFromName(key, &r.kind)) {
        return IllegalArgument("aggregation type [" + std::string(key) + "] of [" + r.name +
                               "] is not supported; supported: " + kSupported);
      }
      have_type = true;
      if (!body.is_object()) return ParsingError("[" + std::string(key) + "] must be an object");
      for (auto [opt, value] : AsObject(body)) {
        if (opt == "field") {
          std::string_view f;
          if (value.get_string().get(f) != simdjson::SUCCESS) {
            return ParsingError("[field] of [" + r.name + "] must be a string");
          }
          r.field = std::string(f);
        } else if (opt == "size" && r.kind == AggRequest::Kind::kTerms) {
          double d;
          if (!ElementToDouble(value, &d) || d < 1 || d > 10000 || d != std::floor(d)) {
            return IllegalArgument("[size] of [" + r.name + "] must be between 1 and 10000");
          }
          r.size = static_cast<int64_t>(d);
        } else {
          return IllegalArgument("option [" + std::string(opt) + "] of [" + r.name +
                                 "] is not supported");
        }
      }
    }
    if (!have_type) {
      return ParsingError("Missing definition for aggregation [" + r.name + "]");
    }
    if (r.field.empty()) return IllegalArgument("Required one of fields [field], in [" + r.name + "]");
    out->push_back(std::move(r));
  }
  return Status::OK();
}

AggCollector::AggCollector(const std::vector<AggRequest>& requests)
    : requests_(requests), states_(requests.size()) {
  for (size_t i = 0; i < requests.size(); ++i) {
    states_[i].name = requests[i].name;
    states_[i].kind = requests[i].kind;
    states_[i].size = requests[i].size;
  }
}

Status AggCollector::Collect(const Index& index, const Bitset& docs) {
  for (size_t i = 0; i < requests_.size(); ++i) {
    const AggRequest& r = requests_[i];
    AggregationPartial& s = states_[i];
    const FieldMapping* mapping = index.mapping.Find(r.field);
    if (mapping == nullptr) continue;  // unmapped here: contributes nothing, as in Elasticsearch
    if (mapping->type == FieldType::kText || IsVector(mapping->type) ||
        mapping->type == FieldType::kObject) {
      return IllegalArgument("Field [" + r.field + "] of type [" +
                             std::string(FieldTypeName(mapping->type)) +
                             "] is not supported for aggregation [" + r.name + "]");
    }
    auto it = index.fields.find(r.field);
    if (it == index.fields.end()) continue;
    const FieldIndex& field = *it->second;
    bool numeric = IsNumeric(mapping->type);
    if (r.kind == AggRequest::Kind::kTerms) {
      if (numeric) {
        docs.ForEach([&](uint32_t d) {
          if (d < index.slots.size() && index.slots[d].live) {
            // Each distinct value of a document counts once for it.
            double last = std::nan("");
            field.ForEachNumber(d, [&](double v) {
              if (v != last) ++s.number_counts[v];
              last = v;
            });
          }
        });
      } else {
        s.boolean_keys = mapping->type == FieldType::kBoolean;
        field.CountTerms(docs, index.slots, [&](std::string_view term, int64_t n) {
          s.term_counts[std::string(term)] += n;
        });
      }
      continue;
    }
    if (!numeric) {
      if (r.kind == AggRequest::Kind::kValueCount) {
        field.CountTerms(docs, index.slots, [&](std::string_view, int64_t n) { s.count += n; });
        continue;
      }
      return IllegalArgument("Field [" + r.field + "] of type [" +
                             std::string(FieldTypeName(mapping->type)) +
                             "] is not supported for aggregation [" + r.name + "]");
    }
    docs.ForEach([&](uint32_t d) {
      if (d >= index.slots.size() || !index.slots[d].live) return;
      field.ForEachNumber(d, [&](double v) {
        s.min = s.count == 0 ? v : std::min(s.min, v);
        s.max = s.count == 0 ? v : std::max(s.max, v);
        s.sum += v;
        ++s.count;
      });
    });
  }
  return Status::OK();
}

}  // namespace lookalike::engine
