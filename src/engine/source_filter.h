// _source filtering of stored documents by a SourceFilter (lookalike/search_request.h; the codec
// parses `"_source"` and ?_source= / ?_source_includes= / ?_source_excludes= into it).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/json_util.h"
#include "lookalike/search_request.h"
#include "lookalike/status.h"

namespace lookalike::engine {

/// The stored JSON document reduced to what `f` selects (returned unchanged, not copied, when
/// the filter selects everything).
std::string FilterSource(std::string source, const SourceFilter& f);

}  // namespace lookalike::engine
