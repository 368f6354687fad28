// multipart/form-data (src/server/image/multipart): the boundary from a Content-Type value and
// the body split into parts, as POST /{index}/_search/image receives them.
//
// Input: the Content-Type header value, a NUL byte, then the body. Without a NUL the boundary
// is fixed to "XyZ" and the whole input is the body.
#include <cstdint>
#include <string_view>

#include "fuzz_util.h"
#include "server/image/multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lookalike::server;
  std::string_view input = lookalike::fuzz::AsText(data, size);
  std::string_view boundary = "XyZ";
  std::string_view body = input;
  size_t nul = input.find('\0');
  if (nul != std::string_view::npos) {
    auto parsed = MultipartBoundary(input.substr(0, nul));
    body = input.substr(nul + 1);
    if (!parsed.ok()) return 0;
    boundary = parsed.value();
  }
  auto parts = ParseMultipart(body, boundary, 8);
  if (!parts.ok()) return 0;
  // Every part must be a view inside the body (no dangling or out-of-range views).
  for (const MultipartPart& part : parts.value()) {
    for (std::string_view view : {part.name, part.filename, part.content_type, part.data}) {
      if (view.empty()) continue;
      if (view.data() < body.data() || view.data() + view.size() > body.data() + body.size()) {
        __builtin_trap();
      }
    }
  }
  (void)FindPart(parts.value(), "file");
  return 0;
}
