#include "engine/aggregations.h"

#include <algorithm>
#include <cmath>

#include "engine/index.h"

namespace lookalike::engine {

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
