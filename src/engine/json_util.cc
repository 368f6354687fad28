#include "engine/json_util.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace lookalike::engine {

size_t JsonNestingDepth(std::string_view text, size_t stop_above) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > stop_above) break;
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Result<element> ParseJson(simdjson::dom::parser& parser, std::string_view text) {
  size_t depth = JsonNestingDepth(text, kMaxRequestJsonDepth);
  if (depth > kMaxRequestJsonDepth) {
    return ParsingError("The JSON nesting depth exceeds the maximum allowed [" +
                        std::to_string(kMaxRequestJsonDepth) + "]");
  }
  element root;
  auto error = parser.parse(text.data(), text.size(), true).get(root);
  if (error) {
    return ParsingError(std::string("Failed to parse JSON: ") + simdjson::error_message(error));
  }
  return root;
}

Result<element> ParseStoredJson(simdjson::dom::parser& parser, std::string_view text) {
  if (parser.max_depth() < kMaxStoredJsonDepth) {
    if (auto error = parser.allocate(std::max<size_t>(text.size(), 4096), kMaxStoredJsonDepth)) {
      return Status::Corruption(std::string("cannot parse stored JSON: ") +
                                simdjson::error_message(error));
    }
  }
  element root;
  auto error = parser.parse(text.data(), text.size(), true).get(root);
  if (error) {
    return Status::Corruption(std::string("cannot parse stored JSON: ") +
                              simdjson::error_message(error));
  }
  return root;
}

void WriteElement(JsonWriter& w, element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::ARRAY:
      w.BeginArray();
      for (element child : AsArray(e)) WriteElement(w, child);
      w.EndArray();
      break;
    case element_type::OBJECT:
      w.BeginObject();
      for (auto field : AsObject(e)) {
        w.Key(field.key);
        WriteElement(w, field.value);
      }
      w.EndObject();
      break;
    case element_type::INT64: w.Int(e.get_int64().value_unsafe()); break;
    case element_type::UINT64: w.UInt(e.get_uint64().value_unsafe()); break;
    case element_type::DOUBLE: w.Double(e.get_double().value_unsafe()); break;
    case element_type::STRING: w.String(e.get_string().value_unsafe()); break;
    case element_type::BOOL: w.Bool(e.get_bool().value_unsafe()); break;
    case element_type::NULL_VALUE: w.Null(); break;
  }
}

std::string ElementToJson(element e) {
  JsonWriter w;
  WriteElement(w, e);
  return w.Take();
}

bool ElementToDouble(element e, double* out) {
  if (e.get_double().get(*out) == simdjson::SUCCESS) return std::isfinite(*out);
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS && !s.empty()) {
    std::string tmp(s);
    char* end = nullptr;
    double v = std::strtod(tmp.c_str(), &end);
    if (end == tmp.c_str() + tmp.size() && std::isfinite(v)) {
      *out = v;
      return true;
    }
  }
  return false;
}

bool ElementToText(element e, std::string* out) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::STRING: *out = std::string(e.get_string().value_unsafe()); return true;
    case element_type::BOOL: *out = e.get_bool().value_unsafe() ? "true" : "false"; return true;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: *out = ElementToJson(e); return true;
    default: return false;
  }
}

namespace {

bool ReadInt(std::string_view s, size_t pos, size_t len, int* out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

bool ParseDateMillis(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  bool all_digits = true;
  for (size_t i = (s[0] == '-' ? 1 : 0); i < s.size(); ++i) all_digits &= (s[i] >= '0' && s[i] <= '9');
  if (all_digits && s.size() > (s[0] == '-' ? 1u : 0u)) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
  }
  int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0;
  if (!ReadInt(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !ReadInt(s, 5, 2, &mo) ||
      s[7] != '-' || !ReadInt(s, 8, 2, &d)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  size_t p = 10;
  int64_t offset_min = 0;
  if (p < s.size() && (s[p] == 'T' || s[p] == ' ')) {
    if (!ReadInt(s, p + 1, 2, &h) || p + 3 >= s.size() + 1) return false;
    p += 3;
    if (p < s.size() && s[p] == ':') {
      if (!ReadInt(s, p + 1, 2, &mi)) return false;
      p += 3;
      if (p < s.size() && s[p] == ':') {
        if (!ReadInt(s, p + 1, 2, &sec)) return false;
        p += 3;
        if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
          ++p;
          int digits = 0;
          while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
            if (digits < 3) ms = ms * 10 + (s[p] - '0');
            ++digits;
            ++p;
          }
          if (digits == 0) return false;
          for (int i = digits; i < 3; ++i) ms *= 10;
        }
      }
    }
    if (p < s.size()) {
      if (s[p] == 'Z') {
        ++p;
      } else if (s[p] == '+' || s[p] == '-') {
        int oh = 0, om = 0;
        int sign = s[p] == '-' ? -1 : 1;
        if (!ReadInt(s, p + 1, 2, &oh)) return false;
        p += 3;
        if (p < s.size() && s[p] == ':') ++p;
        if (p < s.size()) {
          if (!ReadInt(s, p, 2, &om)) return false;
          p += 2;
        }
        offset_min = sign * (oh * 60 + om);
      }
    }
  }
  if (p != s.size() || h > 23 || mi > 59 || sec > 60) return false;
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  *out = ((days * 24 + h) * 60 + mi - offset_min) * 60000 + sec * 1000 + ms;
  return true;
}

}  // namespace lookalike::engine
