#include "common/json_elide.h"

#include <algorithm>

namespace lookalike {
namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsNumberChar(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

// If json[open] starts an array of numbers only, its element count and the position after its
// ']'; count 0 otherwise.
size_t NumberArrayLength(std::string_view json, size_t open, size_t* end) {
  size_t i = open + 1, count = 0;
  while (true) {
    while (i < json.size() && IsSpace(json[i])) ++i;
    if (i < json.size() && json[i] == ']' && count == 0) return 0;  // []
    size_t start = i;
    while (i < json.size() && IsNumberChar(json[i])) ++i;
    if (i == start) return 0;
    ++count;
    while (i < json.size() && IsSpace(json[i])) ++i;
    if (i >= json.size()) return 0;
    if (json[i] == ']') {
      *end = i + 1;
      return count;
    }
    if (json[i] != ',') return 0;
    ++i;
  }
}

// Cuts `out` to at most `max_bytes` at a UTF-8 character boundary and marks the cut.
void Cap(std::string* out, size_t max_bytes) {
  if (out->size() <= max_bytes) return;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>((*out)[cut]) & 0xC0) == 0x80) --cut;
  out->resize(cut);
  out->append(kEllipsis);
}

}  // namespace

std::string ElideNumberArrays(std::string_view json, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(json.size(), max_bytes) + 16);
  bool in_string = false;
  for (size_t i = 0; i < json.size() && out.size() <= max_bytes; ++i) {
    char c = json[i];
    if (in_string) {
      if (c == '\\' && i + 1 < json.size()) {
        out.push_back(c);
        out.push_back(json[++i] == '\n' ? ' ' : json[i]);
        continue;
      }
      if (c == '"') in_string = false;
      out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
      continue;
    }
    if (IsSpace(c)) continue;
    if (c == '"') in_string = true;
    if (c == '[') {
      size_t end = 0;
      size_t count = NumberArrayLength(json, i, &end);
      if (count >= kMinElidedArray) {
        out.append("[").append(kEllipsis).append(std::to_string(count)).append(" floats");
        out.append(kEllipsis).append("]");
        i = end - 1;
        continue;
      }
    }
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  }
  Cap(&out, max_bytes);
  return out;
}

}  // namespace lookalike
