// Name patterns with '*' (Elasticsearch's index, field and stored-object name lists).
#pragma once

#include <string_view>

namespace lookalike {

/// True when `name` matches `pattern`, where '*' stands for any run of characters (none
/// included) and every other character for itself. Iterative with one backtrack point (the
/// last '*'): at worst O(|pattern| · |name|), never exponential, because patterns come from
/// requests. ('?' is not special here; the security layer's role patterns add it.)
bool GlobMatch(std::string_view pattern, std::string_view name);

}  // namespace lookalike
