// _source selection: `"_source": false | "field" | ["a", "b.*"] | {"includes": …, "excludes": …}`
// in a search body and ?_source=, ?_source_includes=, ?_source_excludes= on the URL.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/json_util.h"
#include "lookalike/engine.h"
#include "lookalike/status.h"

namespace lookalike::engine {

struct SourceFilter {
  bool enabled = true;
  std::vector<std::string> includes, excludes;  // dotted paths, '*' wildcards
  bool Trivial() const { return includes.empty() && excludes.empty(); }
};

/// Comma-separated list → its non-empty parts.
std::vector<std::string> SplitComma(std::string_view s);

/// The body's "_source" value. parsing_exception for malformed shapes.
Status ParseSourceFilter(element e, SourceFilter* f);

/// URL parameters override the body's choice, as in Elasticsearch.
void ApplyUrlSource(const SearchOptions& o, SourceFilter* f);

/// The stored JSON document reduced to what `f` selects (returned unchanged, not copied, when
/// the filter selects everything).
std::string FilterSource(std::string source, const SourceFilter& f);

}  // namespace lookalike::engine
