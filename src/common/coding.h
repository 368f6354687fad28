// Byte coding for every file format and stored record: fixed-width little-endian integers and
// floats (the formats in docs/formats/ and the RocksDB values), plus big-endian 32-bit keys
// where byte order must equal numeric order. One copy, so the formats cannot drift apart.
//
// Two styles:
//  - fixed layouts (a header whose size the caller has already checked): EncodeFixed and
//    DecodeFixed at an offset inside a span; an offset outside the span is a programmer error
//    (assert);
//  - streams of untrusted input: PutFixed appends, GetFixed / GetBytes consume from the front
//    of a string_view and return false, consuming nothing, when the input is too short.
#pragma once

#include <bit>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace lookalike {

static_assert(std::endian::native == std::endian::little,
              "the on-disk formats are little-endian and coded by memcpy");

/// The types the formats store: integers and IEEE floats of fixed width.
template <typename T>
concept FixedWidth = std::is_arithmetic_v<T> && !std::is_same_v<T, bool>;

/// The bytes of a string (RocksDB values and keys are strings).
inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

/// Writes v little-endian at buf[at, at + sizeof(T)).
template <FixedWidth T>
void EncodeFixed(std::span<uint8_t> buf, size_t at, T v) {
  assert(at <= buf.size() && buf.size() - at >= sizeof(T));
  std::memcpy(buf.data() + at, &v, sizeof(T));
}

/// Reads a little-endian T from buf[at, at + sizeof(T)).
template <FixedWidth T>
T DecodeFixed(std::span<const uint8_t> buf, size_t at) {
  assert(at <= buf.size() && buf.size() - at >= sizeof(T));
  T v;
  std::memcpy(&v, buf.data() + at, sizeof(T));
  return v;
}

/// Appends v little-endian.
template <FixedWidth T>
void PutFixed(std::string* out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out->append(bytes, sizeof(T));
}

/// Takes a little-endian T off the front of *in; false (and *in unchanged) when too short.
template <FixedWidth T>
[[nodiscard]] bool GetFixed(std::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  std::memcpy(v, in->data(), sizeof(T));
  in->remove_prefix(sizeof(T));
  return true;
}

/// Takes n bytes off the front of *in into *out (a view into the same buffer); false (and *in
/// unchanged) when fewer than n remain.
[[nodiscard]] inline bool GetBytes(std::string_view* in, size_t n, std::string_view* out) {
  if (in->size() < n) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

/// Appends v big-endian: keys built this way sort bytewise in numeric order.
inline void PutBigEndian32(std::string* out, uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(bytes, 4);
}

/// Reads a big-endian uint32 from buf[at, at + 4).
inline uint32_t DecodeBigEndian32(std::span<const uint8_t> buf, size_t at) {
  assert(at <= buf.size() && buf.size() - at >= 4);
  const uint8_t* p = buf.data() + at;
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace lookalike
