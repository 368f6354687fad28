#include "engine/analyzer.h"

#include <locale.h>
#include <wctype.h>

namespace lookalike::engine {
namespace {

// C.UTF-8 is built into glibc (>= 2.35, Debian 12): no locale files are needed. Created once,
// never freed (it lives as long as the process) and only read afterwards.
locale_t Utf8Locale() {
  static const locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return loc;
}

constexpr uint32_t kInvalid = 0xFFFFFFFF;

// Decodes one code point at text[*i] and advances *i past it; kInvalid (advancing one byte)
// when the bytes there are not a well-formed UTF-8 sequence.
uint32_t DecodeOne(std::string_view text, size_t* i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b0 = byte(*i);
  size_t len;
  uint32_t cp;
  uint32_t min;
  if (b0 < 0x80) {
    ++*i;
    return b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++*i;  // a continuation byte without a lead, or 0xF8..0xFF
    return kInvalid;
  }
  if (*i + len > text.size()) {
    ++*i;
    return kInvalid;
  }
  for (size_t k = 1; k < len; ++k) {
    unsigned char b = byte(*i + k);
    if ((b & 0xC0) != 0x80) {
      ++*i;  // resynchronise on the next byte: it may start a valid sequence
      return kInvalid;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++*i;
    return kInvalid;
  }
  *i += len;
  return cp;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Scripts the word-break rules split into single characters: CJK unified ideographs (and
// extensions, compatibility ideographs) and Hiragana.
bool IsSingleCharWord(uint32_t cp) {
  return (cp >= 0x3040 && cp <= 0x309F) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0x20000 && cp <= 0x3FFFF);
}

bool IsWordChar(uint32_t cp, locale_t loc) {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
  }
  if (cp == kInvalid) return false;
  // Without the locale (not expected on glibc) every valid non-ASCII character is a letter.
  return loc == static_cast<locale_t>(0) || iswalnum_l(static_cast<wint_t>(cp), loc) != 0;
}

uint32_t Lower(uint32_t cp, locale_t loc) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp - 'A' + 'a' : cp;
  if (loc == static_cast<locale_t>(0)) return cp;
  return static_cast<uint32_t>(towlower_l(static_cast<wint_t>(cp), loc));
}

}  // namespace

std::vector<Token> Analyze(std::string_view text) {
  locale_t loc = Utf8Locale();
  std::vector<Token> out;
  std::string cur;
  size_t chars = 0;
  auto flush = [&] {
    if (cur.empty()) return;
    out.push_back({std::move(cur), static_cast<uint32_t>(out.size())});
    cur.clear();
    chars = 0;
  };
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = DecodeOne(text, &i);
    if (!IsWordChar(cp, loc)) {
      flush();
      continue;
    }
    if (IsSingleCharWord(cp)) {
      flush();
      AppendUtf8(cp, &cur);
      flush();
      continue;
    }
    AppendUtf8(Lower(cp, loc), &cur);
    if (++chars == kMaxTokenChars) flush();
  }
  flush();
  return out;
}

std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> out;
  for (Token& t : Analyze(text)) out.push_back(std::move(t.text));
  return out;
}

}  // namespace lookalike::engine
