// _source filtering of stored documents (search hits and GET).
#include "engine/source_filter.h"

#include "engine/engine_impl.h"

namespace lookalike::engine {

std::vector<std::string> SplitComma(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t c = s.find(',', start);
    if (c == std::string_view::npos) c = s.size();
    if (c > start) out.emplace_back(s.substr(start, c - start));
    start = c + 1;
  }
  return out;
}

Status ParseSourceFilter(element e, SourceFilter* f) {
  bool b;
  if (e.get_bool().get(b) == simdjson::SUCCESS) {
    f->enabled = b;
    return Status::OK();
  }
  auto strings = [](element v, std::vector<std::string>* out) -> Status {
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
      out->emplace_back(s);
      return Status::OK();
    }
    if (!v.is_array()) return ParsingError("[_source] values must be strings or arrays of strings");
    for (element x : AsArray(v)) {
      if (x.get_string().get(s) != simdjson::SUCCESS) {
        return ParsingError("[_source] values must be strings");
      }
      out->emplace_back(s);
    }
    return Status::OK();
  };
  if (e.is_object()) {
    for (auto kv : AsObject(e)) {
      if (kv.key == "includes" || kv.key == "include") {
        LOOKALIKE_RETURN_IF_ERROR(strings(kv.value, &f->includes));
      } else if (kv.key == "excludes" || kv.key == "exclude") {
        LOOKALIKE_RETURN_IF_ERROR(strings(kv.value, &f->excludes));
      } else {
        return ParsingError("[_source] unknown key [" + std::string(kv.key) + "]");
      }
    }
    return Status::OK();
  }
  return strings(e, &f->includes);
}

void ApplyUrlSource(const SearchOptions& o, SourceFilter* f) {
  if (o.source == "false") f->enabled = false;
  else if (o.source == "true") f->enabled = true;
  else if (!o.source.empty()) f->includes = SplitComma(o.source);
  if (!o.source_includes.empty()) f->includes = SplitComma(o.source_includes);
  if (!o.source_excludes.empty()) f->excludes = SplitComma(o.source_excludes);
}

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
