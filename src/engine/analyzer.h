// The text analyzer: what `text` fields index and what match / match_phrase / multi_match
// search for. It behaves like Elasticsearch's `standard` analyzer on ordinary text, written
// here from its documented behaviour:
//
// - the input is decoded as UTF-8; bytes that are not valid UTF-8 (stray continuation bytes,
//   overlong forms, surrogates, code points above U+10FFFF, truncated sequences) separate
//   tokens like punctuation does;
// - a token is a maximal run of Unicode letters and digits (the C.UTF-8 locale's iswalnum);
//   everything else (spaces, punctuation, symbols, apostrophes, combining marks) separates;
// - Han ideographs and Hiragana are one token per character, as the Unicode word-break rules
//   the standard tokenizer follows make them;
// - a token longer than kMaxTokenChars code points is split every kMaxTokenChars;
// - tokens are lowercased with the locale's Unicode case mapping (towlower: É → é, Ä → ä,
//   Д → д) and re-encoded as UTF-8;
// - positions count tokens from 0; a field's later values continue after
//   kPositionIncrementGap (Elasticsearch's position_increment_gap), so a phrase does not match
//   across two values of an array.
//
// Not done (the standard tokenizer differs): "don't", "3.14" and "foo_bar" are two tokens here,
// one there; no stop words (the standard analyzer has none by default either).
//
// Thread safety: the functions are pure; the locale is created once and only read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lookalike::engine {

struct Token {
  std::string text;   // lowercased UTF-8
  uint32_t position;  // 0-based position within the analysed value
};

constexpr size_t kMaxTokenChars = 255;
constexpr uint32_t kPositionIncrementGap = 100;

/// The tokens of `text` with their positions (first at 0).
std::vector<Token> Analyze(std::string_view text);

/// The token texts alone (query text: positions do not matter to match).
std::vector<std::string> Tokenize(std::string_view text);

}  // namespace lookalike::engine
