// The order of sort values (include/lookalike/search_result.h), shared by the engine's collector
// and the merge of partial results so both order hits the same way.
#include "lookalike/search_result.h"

namespace lookalike {

int CompareSortValues(const SortValue& a, const SortValue& b) {
  if (a.missing() || b.missing()) return a.missing() == b.missing() ? 0 : (a.missing() ? 1 : -1);
  auto numeric = [](const SortValue& v) {
    return v.kind == SortValue::Kind::kNumber || v.kind == SortValue::Kind::kScore;
  };
  bool an = numeric(a), bn = numeric(b);
  if (an != bn) return an ? -1 : 1;
  if (an) return a.number < b.number ? -1 : (a.number > b.number ? 1 : 0);
  int c = a.text.compare(b.text);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string SortValueKey(const SortValue& v) {
  std::string key(1, static_cast<char>(v.kind));
  if (v.kind == SortValue::Kind::kString) {
    key += v.text;
  } else if (v.kind != SortValue::Kind::kMissing) {
    double n = v.number == 0 ? 0.0 : v.number;  // -0 == +0
    key.append(reinterpret_cast<const char*>(&n), sizeof n);
  }
  return key;
}

}  // namespace lookalike
