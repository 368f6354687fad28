// Request-body decompression (zlib): gzip and zlib/deflate streams, with an output bound so a
// small "zip bomb" cannot allocate more than the body limit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "lookalike/status.h"

namespace lookalike::server {

/// Inflates a gzip (or, with `raw_or_zlib`, a zlib/raw-deflate) stream. Returns
/// ResourceExhausted once the output would exceed `max_output`, InvalidArgument for corrupt or
/// truncated input.
Result<std::string> Inflate(std::string_view compressed, size_t max_output, bool raw_or_zlib);

/// Compresses with gzip framing (used by tests and the benchmark client).
std::string GzipCompress(std::string_view data);

}  // namespace lookalike::server
