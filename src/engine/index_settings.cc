#include "engine/index_settings.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace lookalike::engine {
namespace {

// How a known setting may be changed on an open index.
enum class Change { kDynamic, kStatic, kPrivate };

struct KnownSetting {
  std::string_view key;
  Change change;
  std::string_view default_text;  // shown by ?include_defaults ("" = not shown)
};

constexpr std::string_view kSearchSlowPrefix = "index.search.slowlog.threshold.query.";
constexpr std::string_view kIndexingSlowPrefix = "index.indexing.slowlog.threshold.index.";
constexpr std::string_view kSlowSource = "index.indexing.slowlog.source";
constexpr std::string_view kReadOnlyAllowDelete = "index.blocks.read_only_allow_delete";
constexpr std::string_view kLevels[] = {"warn", "info", "debug", "trace"};

const std::vector<KnownSetting>& Known() {
  static const std::vector<KnownSetting> kKnown = [] {
    std::vector<KnownSetting> k = {
        {"index.number_of_shards", Change::kStatic, "1"},
        {"index.number_of_replicas", Change::kDynamic, "1"},
        {"index.refresh_interval", Change::kDynamic, "1s"},
        {"index.max_result_window", Change::kDynamic, "10000"},
        {"index.max_inner_result_window", Change::kDynamic, "100"},
        {"index.knn", Change::kStatic, "false"},
        {"index.knn.space_type", Change::kStatic, ""},
        {"index.knn.algo_param.ef_search", Change::kDynamic, ""},
        {"index.similarity.default.type", Change::kStatic, "BM25"},
        {"index.similarity.default.k1", Change::kStatic, "1.2"},
        {"index.similarity.default.b", Change::kStatic, "0.75"},
        {"index.mapping.total_fields.limit", Change::kDynamic, "1000"},
        {"index.mapping.depth.limit", Change::kDynamic, "20"},
        {"index.mapping.nested_objects.limit", Change::kDynamic, "10000"},
        {"index.mapping.field_name_length.limit", Change::kDynamic, "9223372036854775807"},
        {kSlowSource, Change::kDynamic, "1000"},
        // OpenSearch's default search pipeline (read by the server's _search; "_none" = none).
        {"index.search.default_pipeline", Change::kDynamic, "_none"},
        // Elasticsearch's flood-stage block, which clients clear with null after freeing disk.
        // Here the block follows the disk watermarks by itself (operations.md), so only null
        // and false are accepted: a no-op kept for those clients.
        {kReadOnlyAllowDelete, Change::kDynamic, "false"},
        {"index.uuid", Change::kPrivate, ""},
        {"index.creation_date", Change::kPrivate, ""},
        {"index.provided_name", Change::kPrivate, ""},
        {"index.version.created", Change::kPrivate, ""},
    };
    static std::vector<std::string> slow_keys;  // owns the composed key texts
    for (std::string_view prefix : {kSearchSlowPrefix, kIndexingSlowPrefix}) {
      for (std::string_view level : kLevels)
        slow_keys.push_back(std::string(prefix) + std::string(level));
    }
    for (const std::string& key : slow_keys) k.push_back({key, Change::kDynamic, "-1"});
    return k;
  }();
  return kKnown;
}

const KnownSetting* FindKnown(std::string_view key) {
  for (const KnownSetting& s : Known()) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

void Flatten(element e, const std::string& prefix, FlatSettings* out) {
  if (e.is_object()) {
    for (auto kv : AsObject(e)) {
      std::string key = prefix.empty() ? std::string(kv.key) : prefix + "." + std::string(kv.key);
      Flatten(kv.value, key, out);
    }
    return;
  }
  std::string key = prefix.rfind("index.", 0) == 0 ? prefix : "index." + prefix;
  std::string text;
  if (!ElementToText(e, &text)) text = ElementToJson(e);
  (*out)[key] = text;
}

Result<int64_t> IntSetting(const FlatSettings& flat, const std::string& key, int64_t def,
                           int64_t lo, int64_t hi) {
  auto it = flat.find(key);
  if (it == flat.end()) return def;
  const std::string& text = it->second;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return IllegalArgument("Failed to parse value [" + text + "] for setting [" + key + "]");
  }
  if (v < lo) {
    return IllegalArgument("Failed to parse value [" + text + "] for setting [" + key +
                           "] must be >= " + std::to_string(lo));
  }
  if (v > hi) {
    return IllegalArgument("Failed to parse value [" + text + "] for setting [" + key +
                           "] must be <= " + std::to_string(hi));
  }
  return v;
}

// The default similarity: BM25 only, k1 a finite number >= 0, b in [0, 1] (Elasticsearch's
// rules and texts).
Status ParseSimilarity(const FlatSettings& flat, IndexSettings* out) {
  auto it = flat.find("index.similarity.default.type");
  if (it != flat.end() && it->second != "BM25") {
    return IllegalArgument("Unknown Similarity type [" + it->second +
                           "] for [default]: only BM25 is supported");
  }
  auto number = [&](const char* key, float* value) -> Status {
    auto found = flat.find(key);
    if (found == flat.end()) return Status::OK();
    const std::string& text = found->second;
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(v)) {
      return IllegalArgument("Failed to parse value [" + text + "] for setting [" + key + "]");
    }
    *value = static_cast<float>(v);
    return Status::OK();
  };
  LOOKALIKE_RETURN_IF_ERROR(number("index.similarity.default.k1", &out->bm25_k1));
  LOOKALIKE_RETURN_IF_ERROR(number("index.similarity.default.b", &out->bm25_b));
  if (out->bm25_k1 < 0) {
    return IllegalArgument("illegal k1 value: " + std::to_string(out->bm25_k1) +
                           ", must be a non-negative finite value");
  }
  if (out->bm25_b < 0 || out->bm25_b > 1) {
    return IllegalArgument("illegal b value: " + std::to_string(out->bm25_b) +
                           ", must be between 0 and 1");
  }
  return Status::OK();
}

Status ParseSlowLog(const FlatSettings& flat, bool loading, IndexSlowLogSettings* out) {
  for (int level = 0; level < 4; ++level) {
    for (auto [prefix, target] : {std::pair{kSearchSlowPrefix, &out->search},
                                  std::pair{kIndexingSlowPrefix, &out->indexing}}) {
      std::string key = std::string(prefix) + std::string(kLevels[level]);
      auto it = flat.find(key);
      if (it == flat.end()) continue;
      auto nanos = ParseTimeValueNanos(it->second, key);
      if (!nanos.ok() && !loading) return nanos.status();
      target->nanos[level] = nanos.ok() ? *nanos : -1;
    }
  }
  auto it = flat.find(std::string(kSlowSource));
  if (it == flat.end()) return Status::OK();
  if (it->second == "true") {
    out->indexing_source_chars = INT64_MAX;
  } else if (it->second == "false") {
    out->indexing_source_chars = 0;
  } else {
    auto chars = IntSetting(flat, std::string(kSlowSource), 1000, 0, INT64_MAX);
    if (!chars.ok() && !loading) return chars.status();
    out->indexing_source_chars = chars.ok() ? *chars : 1000;
  }
  return Status::OK();
}

std::string JoinKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

}  // namespace

void FlattenSettings(element settings, FlatSettings* out) { Flatten(settings, "", out); }

Result<int64_t> ParseTimeValueNanos(std::string_view text, std::string_view key) {
  auto fail = [&] {
    return IllegalArgument("failed to parse setting [" + std::string(key) + "] with value [" +
                           std::string(text) +
                           "] as a time value: unit is missing or "
                           "unrecognized");
  };
  if (text == "-1") return int64_t{-1};
  if (text == "0") return int64_t{0};
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return fail();
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec != std::errc()) return fail();
  static constexpr std::pair<std::string_view, int64_t> kUnits[] = {
      {"nanos", 1},         {"micros", 1000},       {"ms", 1000000},        {"s", 1000000000LL},
      {"m", 60000000000LL}, {"h", 3600000000000LL}, {"d", 86400000000000LL}};
  std::string_view unit = text.substr(digits);
  for (auto [name, scale] : kUnits) {
    if (unit != name) continue;
    if (value > INT64_MAX / scale) return fail();
    return value * scale;
  }
  return fail();
}

Result<IndexSettings> ParseIndexSettings(FlatSettings flat, bool loading) {
  IndexSettings s;
  LOOKALIKE_ASSIGN_OR_RETURN(int64_t shards,
                             IntSetting(flat, "index.number_of_shards", 1, 1, 1024));
  LOOKALIKE_ASSIGN_OR_RETURN(int64_t replicas,
                             IntSetting(flat, "index.number_of_replicas", 1, 0, 1024));
  LOOKALIKE_ASSIGN_OR_RETURN(int64_t efs,
                             IntSetting(flat, "index.knn.algo_param.ef_search", 0, 1, 100000));
  LOOKALIKE_ASSIGN_OR_RETURN(s.max_result_window,
                             IntSetting(flat, "index.max_result_window", 10000, 1, 1 << 30));
  LOOKALIKE_ASSIGN_OR_RETURN(
      s.max_inner_result_window,
      IntSetting(flat, "index.max_inner_result_window", 100, 0, 1 << 30));
  MappingLimits& limits = s.mapping_limits;
  LOOKALIKE_ASSIGN_OR_RETURN(
      limits.total_fields,
      IntSetting(flat, "index.mapping.total_fields.limit", limits.total_fields, 0, INT64_MAX));
  LOOKALIKE_ASSIGN_OR_RETURN(
      limits.depth, IntSetting(flat, "index.mapping.depth.limit", limits.depth, 1, INT64_MAX));
  LOOKALIKE_ASSIGN_OR_RETURN(
      limits.nested_objects,
      IntSetting(flat, "index.mapping.nested_objects.limit", limits.nested_objects, 0, INT64_MAX));
  LOOKALIKE_ASSIGN_OR_RETURN(limits.field_name_length,
                             IntSetting(flat, "index.mapping.field_name_length.limit",
                                        limits.field_name_length, 1, INT64_MAX));
  auto it = flat.find("index.knn");
  if (it != flat.end() && it->second != "true" && it->second != "false") {
    return IllegalArgument("Failed to parse value [" + it->second +
                           "] as only [true] or [false] are allowed.");
  }
  s.knn = it != flat.end() && it->second == "true";
  it = flat.find("index.refresh_interval");
  if (it != flat.end()) {
    if (!loading) LOOKALIKE_RETURN_IF_ERROR(ParseTimeValueNanos(it->second, it->first).status());
    s.refresh_interval = it->second;
  }
  LOOKALIKE_RETURN_IF_ERROR(ParseSlowLog(flat, loading, &s.slowlog));
  LOOKALIKE_RETURN_IF_ERROR(ParseSimilarity(flat, &s));
  it = flat.find(std::string(kReadOnlyAllowDelete));
  if (it != flat.end() && it->second != "false" && !loading) {
    return IllegalArgument("[" + it->first + "] can only be null or false here: the node sets "
                           "and lifts the read-only-allow-delete block from the disk watermarks");
  }
  s.number_of_shards = static_cast<int>(shards);
  s.number_of_replicas = static_cast<int>(replicas);
  s.knn_ef_search = static_cast<int>(efs);
  it = flat.find("index.knn.space_type");
  if (it != flat.end()) s.knn_space_type = it->second;
  s.flat = std::move(flat);
  return s;
}

Result<FlatSettings> ApplySettingsUpdate(const FlatSettings& current, const SettingsUpdate& update,
                                         std::string_view index_label) {
  std::vector<std::string> static_keys;
  for (const auto& [key, value] : update) {
    const KnownSetting* known = FindKnown(key);
    if (known == nullptr) {
      return IllegalArgument("unknown setting [" + key +
                             "] please check that any required "
                             "plugins are installed, or check the breaking changes "
                             "documentation for removed settings");
    }
    if (known->change == Change::kPrivate) {
      return IllegalArgument("can not update private setting [" + key +
                             "]; this setting is managed by Elasticsearch");
    }
    if (known->change == Change::kStatic) static_keys.push_back(key);
  }
  if (!static_keys.empty()) {
    return IllegalArgument("Can't update non dynamic settings [[" + JoinKeys(static_keys) +
                           "]] for open indices [[" + std::string(index_label) + "]]");
  }
  FlatSettings out = current;
  for (const auto& [key, value] : update) {
    if (value.has_value()) {
      out[key] = *value;
    } else {
      out.erase(key);
    }
  }
  return out;
}

FlatSettings DefaultSettings(const FlatSettings& flat) {
  FlatSettings out;
  for (const KnownSetting& s : Known()) {
    if (s.default_text.empty() || flat.count(std::string(s.key))) continue;
    out[std::string(s.key)] = std::string(s.default_text);
  }
  return out;
}

}  // namespace lookalike::engine
