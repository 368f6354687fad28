// Write batch coding; the layout is docs/formats/write-batch.md.
#include "cluster/write_batch.h"

#include <cstring>

#include "common/coding.h"
#include "common/crc32c.h"

namespace lookalike::cluster {
namespace {

constexpr uint8_t kHasPartialDoc = 1;
constexpr uint8_t kHasUpsert = 2;
constexpr uint8_t kDocAsUpsert = 4;
constexpr uint8_t kKnownFlags = kHasPartialDoc | kHasUpsert | kDocAsUpsert;

void PutString(std::string* out, std::string_view s) {
  PutFixed<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

void PutVectors(std::string* out, const std::vector<FieldVector>& vectors) {
  PutFixed<uint32_t>(out, static_cast<uint32_t>(vectors.size()));
  for (const FieldVector& v : vectors) {
    PutString(out, v.path);
    PutFixed<uint32_t>(out, static_cast<uint32_t>(v.values.size()));
    for (float x : v.values) PutFixed<float>(out, x);
  }
}

Status Truncated(std::string_view what) {
  return Status::Corruption("write batch truncated in " + std::string(what));
}

bool GetString(std::string_view* in, std::string* out) {
  uint32_t size = 0;
  std::string_view bytes;
  std::string_view before = *in;
  if (!GetFixed(in, &size) || !GetBytes(in, size, &bytes)) {
    *in = before;
    return false;
  }
  out->assign(bytes);
  return true;
}

Status GetVectors(std::string_view* in, std::vector<FieldVector>* out) {
  uint32_t count = 0;
  if (!GetFixed(in, &count)) return Truncated("vector count");
  // Each vector takes at least 8 bytes (two lengths): a count the input cannot hold is
  // corrupt, not an allocation to attempt.
  if (count > in->size() / 8) return Truncated("vectors");
  out->resize(count);
  for (FieldVector& v : *out) {
    uint32_t dims = 0;
    if (!GetString(in, &v.path) || !GetFixed(in, &dims)) return Truncated("vector header");
    if (dims > in->size() / sizeof(float)) return Truncated("vector values");
    v.values.resize(dims);
    // An empty vector's data() may be null, which memcpy must not get even for 0 bytes.
    if (dims > 0) std::memcpy(v.values.data(), in->data(), dims * sizeof(float));
    in->remove_prefix(dims * sizeof(float));
  }
  return Status::OK();
}

Status DecodeOp(std::string_view* in, WriteOp* op) {
  uint8_t kind = 0;
  uint8_t flags = 0;
  if (!GetFixed(in, &kind) || !GetFixed(in, &flags)) return Truncated("write header");
  if (kind > static_cast<uint8_t>(WriteKind::kDelete)) {
    return Status::Corruption("write batch: unknown write kind " + std::to_string(kind));
  }
  if ((flags & ~kKnownFlags) != 0) return Status::Corruption("write batch: unknown write flags");
  op->kind = static_cast<WriteKind>(kind);
  op->doc_as_upsert = (flags & kDocAsUpsert) != 0;
  if (!GetString(in, &op->index) || !GetString(in, &op->id) || !GetString(in, &op->source)) {
    return Truncated("index, id or source");
  }
  if (flags & kHasPartialDoc) {
    op->partial_doc.emplace();
    if (!GetString(in, &*op->partial_doc)) return Truncated("partial doc");
  }
  if (flags & kHasUpsert) {
    op->upsert.emplace();
    if (!GetString(in, &*op->upsert)) return Truncated("upsert");
  }
  if (!GetFixed(in, &op->condition.if_seq_no) || !GetFixed(in, &op->condition.if_primary_term)) {
    return Truncated("condition");
  }
  LOOKALIKE_RETURN_IF_ERROR(GetVectors(in, &op->vectors));
  return GetVectors(in, &op->upsert_vectors);
}

}  // namespace

std::string EncodeWriteBatch(const std::vector<WriteOp>& ops, int64_t primary_term) {
  std::string payload;
  PutFixed<int64_t>(&payload, primary_term);
  for (const WriteOp& op : ops) {
    PutFixed<uint8_t>(&payload, static_cast<uint8_t>(op.kind));
    uint8_t flags = (op.partial_doc ? kHasPartialDoc : 0) | (op.upsert ? kHasUpsert : 0) |
                    (op.doc_as_upsert ? kDocAsUpsert : 0);
    PutFixed<uint8_t>(&payload, flags);
    PutString(&payload, op.index);
    PutString(&payload, op.id);
    PutString(&payload, op.source);
    if (op.partial_doc) PutString(&payload, *op.partial_doc);
    if (op.upsert) PutString(&payload, *op.upsert);
    PutFixed<int64_t>(&payload, op.condition.if_seq_no);
    PutFixed<int64_t>(&payload, op.condition.if_primary_term);
    PutVectors(&payload, op.vectors);
    PutVectors(&payload, op.upsert_vectors);
  }
  std::string out(kWriteBatchMagic, sizeof(kWriteBatchMagic));
  PutFixed<uint16_t>(&out, kWriteBatchVersion);
  PutFixed<uint16_t>(&out, 0);  // reserved flags
  PutFixed<uint32_t>(&out, static_cast<uint32_t>(ops.size()));
  PutFixed<uint32_t>(&out, static_cast<uint32_t>(payload.size()));
  PutFixed<uint32_t>(&out, Crc32c(payload.data(), payload.size()));
  out.append(payload);
  return out;
}

Result<WriteBatch> DecodeWriteBatch(std::string_view bytes) {
  if (bytes.size() < kWriteBatchHeaderSize ||
      std::memcmp(bytes.data(), kWriteBatchMagic, sizeof(kWriteBatchMagic)) != 0) {
    return Status::Corruption("not a write batch (bad magic or too short)");
  }
  std::string_view in = bytes.substr(sizeof(kWriteBatchMagic));
  uint16_t version = 0, reserved = 0;
  uint32_t count = 0, length = 0, crc = 0;
  bool header_ok = GetFixed(&in, &version) && GetFixed(&in, &reserved) && GetFixed(&in, &count) &&
                   GetFixed(&in, &length) && GetFixed(&in, &crc);
  if (!header_ok) return Truncated("header");
  if (version != kWriteBatchVersion && version != 1) {
    return Status::Unsupported("write batch version " + std::to_string(version) +
                               " (this build reads versions 1 to " +
                               std::to_string(kWriteBatchVersion) + ")");
  }
  if (reserved != 0) return Status::Corruption("write batch: unknown header flags");
  if (length != in.size()) {
    return Status::Corruption("write batch length " + std::to_string(length) + " but " +
                              std::to_string(in.size()) + " payload bytes");
  }
  if (Crc32c(in.data(), in.size()) != crc) return Status::Corruption("write batch checksum");
  WriteBatch batch;
  batch.version = version;
  if (version >= 2) {
    if (!GetFixed(&in, &batch.primary_term)) return Truncated("primary term");
    if (batch.primary_term < 1) return Status::Corruption("write batch: primary term below 1");
  }
  // Every write takes at least 38 bytes; more writes than that is corrupt, not an allocation.
  constexpr size_t kMinOpBytes = 2 + 3 * 4 + 2 * 8 + 2 * 4;
  if (count > in.size() / kMinOpBytes) return Status::Corruption("write batch: count too large");
  batch.ops.resize(count);
  for (WriteOp& op : batch.ops) LOOKALIKE_RETURN_IF_ERROR(DecodeOp(&in, &op));
  if (!in.empty()) return Status::Corruption("write batch: bytes after the last write");
  return batch;
}

}  // namespace lookalike::cluster
