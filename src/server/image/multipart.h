// multipart/form-data request bodies (RFC 7578), as browsers and curl -F send them; used by
// POST /{index}/_search/image. Parts are views into the body: no copies of the uploaded file.
#pragma once

#include <string_view>
#include <vector>

#include "lookalike/status.h"

namespace lookalike::server {

struct MultipartPart {
  std::string_view name;          // form field name from Content-Disposition
  std::string_view filename;      // "" when the part is not a file
  std::string_view content_type;  // the part's Content-Type header, "" when absent
  std::string_view data;          // the part's bytes
};

/// The boundary parameter of a "multipart/form-data; boundary=..." Content-Type (quotes
/// removed). InvalidArgument when the type is not multipart/form-data or has no boundary.
Result<std::string_view> MultipartBoundary(std::string_view content_type);

/// Splits `body` into parts. InvalidArgument for a missing opening boundary, a part without the
/// blank line after its headers, a part without a name, or a missing closing boundary. At most
/// `max_parts` parts (ResourceExhausted beyond).
Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                                  size_t max_parts = 64);

/// The first part named `name`, or nullptr.
const MultipartPart* FindPart(const std::vector<MultipartPart>& parts, std::string_view name);

}  // namespace lookalike::server
