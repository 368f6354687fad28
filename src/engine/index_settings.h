// Index settings: what PUT /{index} and PUT /{index}/_settings accept, how they are validated
// and flattened, which ones may change on an open index, and the typed form the engine reads.
//
// Settings are kept as a flat map "index.a.b" → text (exactly what the metadata stores and
// GET _settings shows) plus IndexSettings, the validated typed view parsed from that map. An
// update builds the new map, parses it (all or nothing) and only then replaces both.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "engine/json_util.h"
#include "engine/mapping.h"
#include "lookalike/index_definition.h"
#include "lookalike/slow_log.h"
#include "lookalike/status.h"

namespace lookalike::engine {

using FlatSettings = SettingsMap;
using lookalike::SettingsUpdate;

struct IndexSettings {
  int number_of_shards = 1;
  int number_of_replicas = 1;
  std::string refresh_interval = "1s";
  bool knn = false;
  int knn_ef_search = 0;  // index.knn.algo_param.ef_search (0 = field default)
  std::string knn_space_type;
  int64_t max_result_window = 10000;
  int64_t max_inner_result_window = 100;  // collapse.inner_hits: from + size per entry
  // index.similarity.default.{k1,b}: BM25 of text queries (engine/text_query.h). Static, as
  // in Elasticsearch; index.similarity.default.type may only be BM25.
  float bm25_k1 = 1.2f;
  float bm25_b = 0.75f;
  MappingLimits mapping_limits;  // index.mapping.*.limit
  IndexSlowLogSettings slowlog;  // index.search.slowlog.*, index.indexing.slowlog.* (index unset)
  FlatSettings flat;             // every setting as given, "index.x.y" → text
};

/// Flattens a settings object (nested {"index":{"knn":true}}, flat {"index.knn":true} or
/// without the prefix {"knn":true}) into "index.x.y" → text. Scalars become their text, arrays
/// their JSON text.
void FlattenSettings(element settings, FlatSettings* out);

/// Validates `flat` and parses it into IndexSettings (flat is moved into the result).
/// kInvalidValue with Elasticsearch's texts for a bad value. Unknown keys are kept
/// as given (index creation accepts them, as before). `loading`: the map comes from stored
/// metadata; a slow-log value this version cannot parse then turns that level off instead of
/// failing the index (it was accepted when written).
Result<IndexSettings> ParseIndexSettings(FlatSettings flat, bool loading = false);

/// `current` with `update` applied, for the index `index_label` ("name/uuid"). Refuses, with
/// kInvalidValue: unknown settings ("unknown setting [index.foo] please check that
/// any required plugins are installed, ..."), static ones ("Can't update non dynamic settings
/// [[index.number_of_shards]] for open indices [[name/uuid]]") and the ones the node manages
/// (index.uuid, ...). Values are validated by ParseIndexSettings afterwards.
Result<FlatSettings> ApplySettingsUpdate(const FlatSettings& current, const SettingsUpdate& update,
                                         std::string_view index_label);

/// The defaults of the known settings that `flat` does not set (GET ?include_defaults).
FlatSettings DefaultSettings(const FlatSettings& flat);

/// A time value ("500ms", "1s", "2m", "0", "-1" = off) in nanoseconds, for setting `key`.
/// kInvalidValue "failed to parse setting [KEY] with value [V] as a time value:
/// unit is missing or unrecognized" otherwise.
Result<int64_t> ParseTimeValueNanos(std::string_view text, std::string_view key);

}  // namespace lookalike::engine
