// _source filtering of stored documents (search hits and GET).
#include "engine/source_filter.h"

#include "engine/engine_impl.h"

namespace lookalike::engine {

namespace {

bool AnyMatch(const std::vector<std::string>& patterns, const std::string& path) {
  for (const auto& p : patterns) {
    if (IndexGlob(p, path)) return true;
  }
  return false;
}

// Could an include pattern select something below `path`?
bool MayIncludeBelow(const std::vector<std::string>& patterns, const std::string& path) {
  for (const auto& p : patterns) {
    if (p.compare(0, path.size() + 1, path + ".") == 0 || p.find('*') != std::string::npos) {
      return true;
    }
  }
  return false;
}

bool FilterObject(JsonWriter& w, element obj, const std::string& prefix, bool included,
                  const SourceFilter& f) {
  bool wrote = false;
  w.BeginObject();
  for (auto kv : AsObject(obj)) {
    std::string path = prefix + std::string(kv.key);
    if (AnyMatch(f.excludes, path)) continue;
    bool inc = included || f.includes.empty() || AnyMatch(f.includes, path);
    if (kv.value.is_object() && (inc || MayIncludeBelow(f.includes, path))) {
      JsonWriter sub;
      if (FilterObject(sub, kv.value, path + ".", inc, f) || inc) {
        w.Key(kv.key).Raw(sub.str());
        wrote = true;
      }
    } else if (inc) {
      w.Key(kv.key);
      WriteElement(w, kv.value);
      wrote = true;
    }
  }
  w.EndObject();
  return wrote;
}

}  // namespace

std::string FilterSource(std::string source, const SourceFilter& f) {
  if (f.Trivial()) return source;
  thread_local simdjson::dom::parser parser;
  auto parsed = ParseStoredJson(parser, source);
  if (!parsed.ok()) return source;  // unreadable: shown as stored rather than dropped
  JsonWriter sub;
  FilterObject(sub, *parsed, "", false, f);
  return sub.Take();
}

}  // namespace lookalike::engine
