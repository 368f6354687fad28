// multipart/form-data parsing; see multipart.h.
#include "server/image/multipart.h"

#include <string>

namespace lookalike::server {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Value of `key` in a header's "; key=value" or "; key="value"" parameters ("" when absent).
// Quoted values end at the next quote (browsers escape quotes in file names as %22).
std::string_view HeaderParam(std::string_view header, std::string_view key) {
  size_t pos = 0;
  while ((pos = header.find(';', pos)) != std::string_view::npos) {
    ++pos;
    std::string_view rest = Trim(header.substr(pos));
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) continue;
    if (!IEquals(Trim(rest.substr(0, eq)), key)) continue;
    std::string_view value = Trim(rest.substr(eq + 1));
    if (!value.empty() && value.front() == '"') {
      size_t close = value.find('"', 1);
      return close == std::string_view::npos ? value.substr(1) : value.substr(1, close - 1);
    }
    return Trim(value.substr(0, value.find(';')));
  }
  return {};
}

Status Invalid(std::string_view why) {
  return Status::InvalidArgument("malformed multipart/form-data body: " + std::string(why))
      .WithKind(ErrorKind::kMalformedInput);
}

}  // namespace

Result<std::string_view> MultipartBoundary(std::string_view content_type) {
  std::string_view type = Trim(content_type.substr(0, content_type.find(';')));
  if (!IEquals(type, "multipart/form-data")) {
    return Status::InvalidArgument(
               "expected a multipart/form-data request (with a \"file\" part), "
               "got Content-Type [" +
               std::string(content_type) + "]")
        .WithKind(ErrorKind::kInvalidValue);
  }
  std::string_view boundary = HeaderParam(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200) {
    return Status::InvalidArgument("multipart/form-data Content-Type without a valid boundary")
        .WithKind(ErrorKind::kInvalidValue);
  }
  return boundary;
}

Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                                  size_t max_parts) {
  const std::string delim = "--" + std::string(boundary);
  const std::string next_delim = "\r\n" + delim;
  std::vector<MultipartPart> parts;
  // The preamble (usually empty) ends at the first delimiter, which must start a line.
  size_t pos = 0;
  if (body.substr(0, delim.size()) != delim) {
    pos = body.find(next_delim);
    if (pos == std::string_view::npos) return Invalid("no opening boundary");
    pos += 2;
  }
  pos += delim.size();
  while (true) {
    // After a delimiter: "--" closes the body, CRLF starts a part.
    if (body.substr(pos, 2) == "--") break;
    // Transport padding (spaces/tabs) may follow the delimiter.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") return Invalid("boundary not followed by a line break");
    pos += 2;
    size_t headers_end = body.find("\r\n\r\n", pos);
    size_t part_end = body.find(next_delim, pos);
    if (part_end == std::string_view::npos) return Invalid("no closing boundary");
    MultipartPart part;
    size_t data_start;
    if (body.substr(pos, 2) == "\r\n") {  // a part with no headers
      data_start = pos + 2;
    } else {
      if (headers_end == std::string_view::npos || headers_end > part_end) {
        return Invalid("part headers not terminated by a blank line");
      }
      std::string_view headers = body.substr(pos, headers_end - pos);
      while (!headers.empty()) {
        size_t eol = headers.find("\r\n");
        std::string_view line = headers.substr(0, eol);
        headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string_view name = Trim(line.substr(0, colon));
        std::string_view value = Trim(line.substr(colon + 1));
        if (IEquals(name, "content-disposition")) {
          part.name = HeaderParam(value, "name");
          part.filename = HeaderParam(value, "filename");
        } else if (IEquals(name, "content-type")) {
          part.content_type = value;
        }
      }
      data_start = headers_end + 4;
    }
    if (part.name.empty()) return Invalid("a part has no name in its Content-Disposition");
    // "\r\n\r\n--b": the header terminator's second CRLF also opens the delimiter (no data).
    part.data = data_start <= part_end ? body.substr(data_start, part_end - data_start)
                                       : std::string_view();
    if (parts.size() >= max_parts) {
      return Status::ResourceExhausted("too many parts in multipart/form-data body (limit " +
                                       std::to_string(max_parts) + ")");
    }
    parts.push_back(part);
    pos = part_end + next_delim.size();
  }
  return parts;
}

const MultipartPart* FindPart(const std::vector<MultipartPart>& parts, std::string_view name) {
  for (const auto& p : parts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace lookalike::server
