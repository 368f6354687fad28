// Framing of the search path's node-to-node messages; layout in docs/formats/search-request.md.
#include "cluster/wire_coding.h"

#include "common/crc32c.h"

namespace lookalike::cluster {

std::string FrameWireMessage(const char (&magic)[5], std::string_view payload) {
  std::string out(magic, 4);
  PutFixed<uint16_t>(&out, kSearchWireVersion);
  PutFixed<uint16_t>(&out, 0);  // reserved flags
  PutFixed<uint32_t>(&out, static_cast<uint32_t>(payload.size()));
  PutFixed<uint32_t>(&out, Crc32c(payload.data(), payload.size()));
  out.append(payload);
  return out;
}

Result<std::string_view> UnframeWireMessage(const char (&magic)[5], std::string_view bytes,
                                            std::string_view what) {
  if (bytes.size() < kWireFrameSize || std::memcmp(bytes.data(), magic, 4) != 0) {
    return Status::Corruption("not a " + std::string(what) + " (bad magic or too short)");
  }
  std::string_view in = bytes.substr(4);
  uint16_t version = 0, flags = 0;
  uint32_t length = 0, crc = 0;
  // The size check above guarantees the header is there.
  (void)(GetFixed(&in, &version) && GetFixed(&in, &flags) && GetFixed(&in, &length) &&
         GetFixed(&in, &crc));
  if (version != kSearchWireVersion) {
    return Status::Unsupported(std::string(what) + " version " + std::to_string(version) +
                               " (this build reads version " +
                               std::to_string(kSearchWireVersion) + ")");
  }
  if (flags != 0) return Status::Corruption(std::string(what) + ": unknown header flags");
  if (length != in.size()) {
    return Status::Corruption(std::string(what) + " length " + std::to_string(length) + " but " +
                              std::to_string(in.size()) + " payload bytes");
  }
  if (Crc32c(in.data(), in.size()) != crc) {
    return Status::Corruption(std::string(what) + " checksum mismatch");
  }
  return in;
}

}  // namespace lookalike::cluster
