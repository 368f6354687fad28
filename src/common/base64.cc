#include "common/base64.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

namespace lookalike {
namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlSafe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int DecodeChar(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

std::string Encode(std::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(acc >> bits) & 63]);
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(alphabet[(acc << (6 - bits)) & 63]);
  while (pad && out.size() % 4 != 0) out.push_back('=');
  return out;
}

template <typename Out>
Status Decode(std::string_view text, bool skip_whitespace, Out* out) {
  out->reserve(text.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0;
  for (unsigned char c : text) {
    if (skip_whitespace && (c == ' ' || c == '\n' || c == '\r' || c == '\t')) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    int v = DecodeChar(c);
    if (v < 0) return Status::InvalidArgument("invalid base64 character");
    if (padding > 0) return Status::InvalidArgument("base64 padding before the end");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<typename Out::value_type>((acc >> bits) & 0xff));
      acc &= (1u << bits) - 1;
    }
  }
  // 6 leftover bits cannot come from whole bytes; more than two '=' is never valid.
  if (bits >= 6 || padding > 2) return Status::InvalidArgument("invalid base64 length");
  return Status::OK();
}

}  // namespace

std::string Base64Encode(std::string_view bytes) { return Encode(bytes, kStandard, true); }
std::string Base64UrlEncode(std::string_view bytes) { return Encode(bytes, kUrlSafe, false); }

Result<std::string> Base64Decode(std::string_view text, bool skip_whitespace) {
  std::string out;
  LOOKALIKE_RETURN_IF_ERROR(Decode(text, skip_whitespace, &out));
  return out;
}

Result<std::vector<uint8_t>> Base64DecodeBytes(std::string_view text, bool skip_whitespace) {
  std::vector<uint8_t> out;
  LOOKALIKE_RETURN_IF_ERROR(Decode(text, skip_whitespace, &out));
  return out;
}

Result<std::vector<uint8_t>> DecodeImageBase64(std::string_view text) {
  auto illegal = [](std::string_view why) {
    return Status::InvalidArgument(why).WithKind(ErrorKind::kInvalidValue);
  };
  if (text.substr(0, 5) == "data:") {
    size_t comma = text.find(',');
    if (comma == std::string_view::npos ||
        text.substr(0, comma).find(";base64") == std::string_view::npos) {
      return illegal("query_image: a data: URL must be base64 encoded");
    }
    text.remove_prefix(comma + 1);
  }
  auto out = Base64DecodeBytes(text, /*skip_whitespace=*/true);
  if (!out.ok()) return illegal("query_image is not valid base64");
  if (out->empty()) return illegal("query_image is empty");
  return out;
}

Status FillRandom(void* out, size_t size) {
  auto* p = static_cast<uint8_t*>(out);
  size_t filled = 0;
  while (filled < size) {
    ssize_t n = ::getrandom(p + filled, size - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(std::string("getrandom failed: ") + std::strerror(errno));
    }
    filled += static_cast<size_t>(n);
  }
  return Status::OK();
}

}  // namespace lookalike
