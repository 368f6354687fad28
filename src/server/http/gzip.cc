#include "server/http/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace lookalike::server {

namespace {
Result<std::string> InflateWith(std::string_view in, size_t max_output, int window_bits) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, window_bits) != Z_OK) return Status::IOError("inflateInit2 failed");
  std::string out;
  out.resize(std::min<size_t>(std::max<size_t>(in.size() * 4, 4096), max_output + 1));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  size_t produced = 0;
  int rc = Z_OK;
  while (true) {
    if (produced == out.size()) {
      if (out.size() > max_output) break;
      out.resize(std::min(out.size() * 2, max_output + 1));
    }
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members are legal; continue with the next one if input remains.
      if (zs.avail_in > 0 && window_bits > 15) {
        inflateReset(&zs);
        continue;
      }
      break;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // truncated input
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
  }
  inflateEnd(&zs);
  if (produced > max_output) {
    return Status::ResourceExhausted("decompressed request body is larger than the limit");
  }
  if (rc != Z_STREAM_END) {
    return Status::InvalidArgument("request body is not a valid compressed stream");
  }
  out.resize(produced);
  return out;
}
}  // namespace

Result<std::string> Inflate(std::string_view compressed, size_t max_output, bool raw_or_zlib) {
  if (!raw_or_zlib) return InflateWith(compressed, max_output, 15 + 16);
  // "deflate" in HTTP means zlib-wrapped, but many clients send raw deflate: try both.
  auto zlib = InflateWith(compressed, max_output, 15);
  if (zlib.ok() || zlib.status().code() == StatusCode::kResourceExhausted) return zlib;
  return InflateWith(compressed, max_output, -15);
}

std::string GzipCompress(std::string_view data) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out;
  out.resize(deflateBound(&zs, data.size()) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(out.size() - zs.avail_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace lookalike::server
