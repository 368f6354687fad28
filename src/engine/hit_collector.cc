// Sort keys, search_after and collapse values for the hit collector (hit_collector.h).
#include "engine/hit_collector.h"

#include <cstdlib>

#include "common/json_writer.h"

namespace lookalike::engine {
namespace {

// A search_after value as a number: numbers as they are, strings that spell a finite number
// (Elasticsearch's coercion); false (and 0) otherwise.
bool SortValueNumber(const SortValue& v, double* out) {
  *out = 0;
  switch (v.kind) {
    case SortValue::Kind::kNumber:
    case SortValue::Kind::kScore:
      if (!std::isfinite(v.number)) return false;
      *out = v.number;
      return true;
    case SortValue::Kind::kString: {
      if (v.text.empty()) return false;
      char* end = nullptr;
      double d = std::strtod(v.text.c_str(), &end);
      if (end != v.text.c_str() + v.text.size() || !std::isfinite(d)) return false;
      *out = d;
      return true;
    }
    case SortValue::Kind::kMissing:
      break;
  }
  return false;
}

// A search_after value compared with a keyword field's terms: strings as they are, numbers as
// JSON writes them (whole numbers without a fraction).
std::string SortValueText(const SortValue& v) {
  if (v.kind == SortValue::Kind::kString) return v.text;
  JsonWriter w;
  if (v.number == std::floor(v.number) && std::fabs(v.number) < 9e15) {
    w.Int(static_cast<int64_t>(v.number));
  } else {
    w.Double(v.number);
  }
  return w.Take();
}

}  // namespace

// The field structure of each kField sort key in `index` (null when no document has a value);
// kInvalidValue for unsortable or unmapped fields, as Elasticsearch.
Result<std::vector<const FieldIndex*>> ResolveSortFields(const Index& index,
                                                         const SearchRequest& req) {
  std::vector<const FieldIndex*> fields(req.sort.size(), nullptr);
  for (size_t i = 0; i < req.sort.size(); ++i) {
    if (req.sort[i].kind != SortKey::Kind::kField) continue;
    const std::string& name = req.sort[i].field;
    const FieldMapping* f = index.mapping.Find(name);
    if (f && (f->type == FieldType::kText || IsVector(f->type) ||
              f->type == FieldType::kObject)) {
      return IllegalArgument("Fielddata is disabled on [" + name + "] in [" + index.name +
                             "]. Text fields are not optimised for operations that require "
                             "per-document field data like aggregations and sorting, so these "
                             "operations are disabled by default. Please use a keyword field "
                             "instead.");
    }
    if (!f) return IllegalArgument("No mapping found for [" + name + "] in order to sort on");
    auto it = index.fields.find(name);
    if (it != index.fields.end()) fields[i] = it->second.get();
  }
  return fields;
}

// search_after: the previous page's last hit as a candidate, typed like this index's sort
// fields; only candidates strictly after it are kept (equal sort values are skipped, as in
// Elasticsearch, hence the advice to end the sort with a unique field).
Candidate AfterCandidate(const SearchRequest& req,
                         const std::vector<const FieldIndex*>& sort_fields) {
  Candidate after{SIZE_MAX, UINT32_MAX, 0.0f, {}};
  after.keys.resize(req.sort.size());
  const std::vector<SortValue>& values = *req.search_after;
  for (size_t i = 0; i < values.size() && i < req.sort.size(); ++i) {
    const SortKey& k = req.sort[i];
    const SortValue& v = values[i];
    double num = 0;
    bool has_num = SortValueNumber(v, &num);
    if (k.kind == SortKey::Kind::kScore) {
      after.score = static_cast<float>(num);
    } else if (k.kind == SortKey::Kind::kDoc) {
      auto packed = static_cast<uint64_t>(std::max(num, 0.0));
      after.index_i = static_cast<size_t>(packed >> 32);
      after.doc = static_cast<uint32_t>(packed & 0xffffffffu);
    } else if (!v.missing()) {
      if (sort_fields[i] != nullptr && IsNumeric(sort_fields[i]->type())) {
        if (has_num) after.keys[i] = SortValue::Number(num);
      } else {
        after.keys[i] = SortValue::String(SortValueText(v));
      }
    }
  }
  return after;
}

// The sort-field values of document `d` (kField keys; others stay missing).
// Document d's value of a sortable field (its first term for keyword and boolean fields):
// missing when `fi` is null or the document has none.
SortValue FieldValue(const FieldIndex* fi, uint32_t d) {
  if (!fi) return SortValue::Missing();
  if (IsNumeric(fi->type())) {
    double v = fi->NumberOf(d);
    return std::isnan(v) ? SortValue::Missing() : SortValue::Number(v);
  }
  const std::string* t = fi->TermOf(d);
  return t ? SortValue::String(*t) : SortValue::Missing();
}

void FillSortKeys(const std::vector<const FieldIndex*>& sort_fields, uint32_t d,
                  std::vector<SortValue>* keys) {
  keys->resize(sort_fields.size());
  for (size_t i = 0; i < sort_fields.size(); ++i) (*keys)[i] = FieldValue(sort_fields[i], d);
}

// The field structure of the collapse field in `index` (null when no document has a value, or
// no collapse); kInvalidValue for an unmapped field or one of another type.
Result<const FieldIndex*> ResolveCollapseField(const Index& index, const SearchRequest& req) {
  if (!req.collapse) return static_cast<const FieldIndex*>(nullptr);
  const std::string& name = req.collapse->field;
  const FieldMapping* f = index.mapping.Find(name);
  if (!f) return IllegalArgument("no mapping found for [" + name + "] in order to collapse on");
  if (f->type != FieldType::kKeyword && f->type != FieldType::kBoolean && !IsNumeric(f->type)) {
    return IllegalArgument("collapse is supported on keyword, numeric, date and boolean fields; [" +
                           name + "] is of type [" + std::string(FieldTypeName(f->type)) + "]");
  }
  auto it = index.fields.find(name);
  return it == index.fields.end() ? nullptr : it->second.get();
}

// The hit's sort values as the response shows them.
std::vector<SortValue> HitSortValues(const SearchRequest& req, Candidate& c) {
  std::vector<SortValue> out;
  out.reserve(req.sort.size());
  for (size_t i = 0; i < req.sort.size(); ++i) {
    switch (req.sort[i].kind) {
      case SortKey::Kind::kScore:
        out.push_back(SortValue::Score(c.score));
        break;
      case SortKey::Kind::kDoc:
        // The index's position in the request and the document number: unique across the
        // searched indices, so search_after (and scroll) can resume after it.
        out.push_back(SortValue::Number(
            static_cast<double>((uint64_t{c.index_i} << 32) | c.doc)));
        break;
      case SortKey::Kind::kField:
        out.push_back(std::move(c.keys[i]));
        break;
    }
  }
  return out;
}

}  // namespace lookalike::engine
