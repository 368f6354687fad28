// Shortening JSON text for logs: vectors become a count, the whole is capped. Works on the text
// (no parser, no allocation per element), so it also copes with a body that is not valid JSON.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lookalike {

/// Arrays holding fewer numbers than this are kept as written (search_after values, ranges,
/// points): only vectors are worth eliding.
inline constexpr size_t kMinElidedArray = 4;

/// `json` compacted (whitespace outside strings dropped, control characters inside strings
/// turned into spaces, so the result is one line) with every array that holds only numbers,
/// at least kMinElidedArray of them, written as "[…N floats…]" — at any depth, including the
/// inner arrays of an array of vectors. Arrays with anything else in them (strings, objects,
/// nested arrays) are kept and their members elided in turn. The result is at most
/// `max_bytes` bytes plus a trailing "…" when it was cut (never inside a UTF-8 sequence).
std::string ElideNumberArrays(std::string_view json, size_t max_bytes);

}  // namespace lookalike
