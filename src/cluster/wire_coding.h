// The pieces every node-to-node message of the search path shares (docs/formats/search-request.md,
// search-result.md): a 16-byte frame (magic, version, reserved flags, payload length, CRC-32C)
// and a writer and a reader for the payload's strings, counts, booleans and floats.
//
// The reader is for untrusted bytes: every Get checks the bytes left, a failure sticks (later
// Gets return false too), and a count is refused before anything is allocated when the bytes
// left cannot hold that many items of their minimum size. Booleans must be 0 or 1, so that the
// encoding stays canonical (decode then encode gives the same bytes; the fuzz targets check it).
//
// Thread safety: WireWriter and WireReader are plain values used by one thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/coding.h"
#include "lookalike/status.h"

namespace lookalike::cluster {

// 2: collapse.inner_hits; 3: nested knn inner_hits (knn body, each hit's _nested).
inline constexpr uint16_t kSearchWireVersion = 3;
inline constexpr size_t kWireFrameSize = 16;

/// magic (4) | version u16 | flags u16 (0) | payload length u32 | CRC-32C of the payload u32 |
/// payload.
std::string FrameWireMessage(const char (&magic)[5], std::string_view payload);

/// The payload of a message framed with `magic`. Corruption for a wrong magic, a short frame,
/// unknown flags, a length that is not exactly the bytes that follow, or a checksum mismatch;
/// Unsupported for another version. `what` names the message in errors ("search request").
Result<std::string_view> UnframeWireMessage(const char (&magic)[5], std::string_view bytes,
                                            std::string_view what);

class WireWriter {
 public:
  explicit WireWriter(std::string* out) : out_(out) {}
  template <FixedWidth T>
  void Put(T v) {
    PutFixed<T>(out_, v);
  }
  void Bool(bool v) { PutFixed<uint8_t>(out_, v ? 1 : 0); }
  void Count(size_t n) { PutFixed<uint32_t>(out_, static_cast<uint32_t>(n)); }
  void String(std::string_view s) {
    Count(s.size());
    out_->append(s);
  }
  void Strings(const std::vector<std::string>& list) {
    Count(list.size());
    for (const std::string& s : list) String(s);
  }
  void Floats(const std::vector<float>& values) {
    Count(values.size());
    for (float v : values) Put<float>(v);
  }

 private:
  std::string* out_;
};

class WireReader {
 public:
  explicit WireReader(std::string_view in) : in_(in) {}

  template <FixedWidth T>
  bool Get(T* v) {
    return ok_ && Check(GetFixed(&in_, v));
  }
  bool Bool(bool* v) {
    uint8_t byte = 0;
    if (!Get(&byte)) return false;
    if (byte > 1) return Check(false);
    *v = byte == 1;
    return true;
  }
  /// A u32 count of items each taking at least `min_item_bytes` (≥ 1) of what is left.
  bool Count(size_t min_item_bytes, size_t* n) {
    uint32_t count = 0;
    if (!Get(&count)) return false;
    if (count > in_.size() / min_item_bytes) return Check(false);
    *n = count;
    return true;
  }
  bool String(std::string* s) {
    size_t n = 0;
    std::string_view bytes;
    if (!Count(1, &n)) return false;
    if (!Check(GetBytes(&in_, n, &bytes))) return false;
    s->assign(bytes);
    return true;
  }
  bool Strings(std::vector<std::string>* list) {
    size_t n = 0;
    if (!Count(4, &n)) return false;
    list->resize(n);
    for (std::string& s : *list) {
      if (!String(s)) return false;
    }
    return true;
  }
  bool Floats(std::vector<float>* values) {
    size_t n = 0;
    if (!Count(sizeof(float), &n)) return false;
    values->resize(n);
    // An empty vector's data() may be null, which memcpy must not get even for 0 bytes.
    if (n > 0) std::memcpy(values->data(), in_.data(), n * sizeof(float));
    in_.remove_prefix(n * sizeof(float));
    return true;
  }
  /// Marks the input bad (an unknown tag or kind found by the caller); returns false.
  bool Fail() { return Check(false); }

  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }
  size_t left() const { return in_.size(); }

 private:
  bool String(std::string& s) { return String(&s); }
  bool Check(bool good) {
    if (!good) ok_ = false;
    return good;
  }

  std::string_view in_;
  bool ok_ = true;
};

}  // namespace lookalike::cluster
