// Test helper shared by the transport tests: where a complete HTTP response ends in what has
// been read so far (headers plus a content-length body).
#pragma once

#include <string>

namespace lookalike::server::testing {

/// Size of the first complete response in `buf`, or 0 while it is incomplete.
inline size_t CompleteResponseSize(const std::string& buf) {
  size_t head_end = buf.find("\r\n\r\n");
  if (head_end == std::string::npos) return 0;
  size_t cl = buf.find("content-length: ");
  size_t len = cl == std::string::npos ? 0 : std::stoul(buf.substr(cl + 16));
  return buf.size() >= head_end + 4 + len ? head_end + 4 + len : 0;
}

}  // namespace lookalike::server::testing
