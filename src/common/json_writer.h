// JsonWriter: appends compact JSON to a string; commas and escaping are handled here so callers
// only state structure. Used for every REST response body.
//
//   JsonWriter w;
//   w.BeginObject().Key("took").Int(3).Key("hits").BeginArray().EndArray().EndObject();
//   std::string body = w.Take();
//
// Not thread-safe; one writer per response. Misuse (Key outside an object, unbalanced End*)
// is a programmer error caught by assert in debug builds.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lookalike {

/// Appends `s` to *out as a quoted JSON string with the required escapes. Bytes that are not
/// well-formed UTF-8 (stray continuation bytes, truncated or overlong sequences, surrogates,
/// code points above U+10FFFF) are written as U+FFFD, so the output is always valid UTF-8 JSON
/// whatever the input (e.g. an index name echoed from a URL in an error message).
void AppendJsonString(std::string* out, std::string_view s);

/// Length of the well-formed UTF-8 sequence starting at s[i] (1..4), or 0 when the bytes there
/// are not one (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i);

/// True when all of `s` is well-formed UTF-8.
bool IsValidUtf8(std::string_view s);

class JsonWriter {
 public:
  JsonWriter() = default;
  /// Appends to an existing buffer (kept by the caller) instead of an internal one.
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& UInt(uint64_t value);
  /// Shortest round-trip form; NaN/Inf (never valid JSON) are written as null.
  JsonWriter& Double(double value);
  JsonWriter& Float(float value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  /// Inserts an already-serialised JSON value verbatim (e.g. a stored _source).
  JsonWriter& Raw(std::string_view json);

  const std::string& str() const { return *out_; }
  std::string Take() { return std::move(*out_); }

 private:
  void BeforeValue();

  std::string own_;
  std::string* out_ = &own_;
  // One entry per open container: true once it holds an element (so the next needs a comma).
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

}  // namespace lookalike
