// Base64 (RFC 4648) encoding and decoding, and random bytes from the kernel: the one home of
// both for API keys, Basic credentials, image bytes in JSON and random ids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"

namespace lookalike {

/// Standard alphabet with '=' padding ("QUJD", "QQ==").
std::string Base64Encode(std::string_view bytes);
/// URL-safe alphabet ('-', '_'), no padding: for ids that travel in URLs.
std::string Base64UrlEncode(std::string_view bytes);

/// Decodes the standard or the URL-safe alphabet; '=' padding is optional but, when present,
/// only at the end and at most two. ASCII whitespace is skipped when `skip_whitespace` (line-
/// wrapped payloads). InvalidArgument for any other byte or an impossible length.
Result<std::string> Base64Decode(std::string_view text, bool skip_whitespace = false);
Result<std::vector<uint8_t>> Base64DecodeBytes(std::string_view text,
                                               bool skip_whitespace = false);

/// An image in JSON (a neural query_image, a document's {"base64": …}): standard or URL-safe
/// base64, padding optional, ASCII whitespace ignored, an optional "data:<type>;base64," prefix
/// skipped. InvalidArgument (illegal_argument_exception, naming query_image) for anything else
/// and for an empty payload.
Result<std::vector<uint8_t>> DecodeImageBase64(std::string_view text);

/// Fills `out` from the kernel's CSPRNG (getrandom(2)); IOError if it fails.
Status FillRandom(void* out, size_t size);

}  // namespace lookalike
