#include "snapshot/record_chunks.h"

#include "common/coding.h"
#include "common/fnv1a.h"

namespace lookalike::snapshot {
namespace {

constexpr std::string_view kMagic = "LKRC";
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 12;
// One boundary in 1,024 keys on average once min_bytes is reached.
constexpr uint64_t kBoundaryMask = 1023;

// Documents, tombstones and vectors ('d'/'t'/'v' + a 4-byte number) each form their own run of
// chunks; counters and snapshot bookkeeping (which change with every write) form another, so
// they never drag a chunk of unchanged documents along.
int RecordClass(std::string_view key) {
  if (key.size() == 5 && (key[0] == 'd' || key[0] == 't' || key[0] == 'v')) return key[0];
  return 0;
}


}  // namespace

RecordChunker::RecordChunker(Emit emit, size_t min_bytes, size_t max_bytes)
    : emit_(std::move(emit)), min_bytes_(min_bytes), max_bytes_(max_bytes) {}

Status RecordChunker::Add(std::string_view key, std::string_view value) {
  int cls = RecordClass(key);
  bool boundary = cls != last_class_ || chunk_.size() >= max_bytes_ ||
                  (chunk_.size() >= min_bytes_ && (Fnv1a64(key) & kBoundaryMask) == 0);
  if (boundary && count_ > 0) LOOKALIKE_RETURN_IF_ERROR(Flush());
  last_class_ = cls;
  if (chunk_.empty()) {
    chunk_.append(kMagic);
    PutFixed<uint32_t>(&chunk_, kVersion);
    PutFixed<uint32_t>(&chunk_, 0);
  }
  PutFixed<uint32_t>(&chunk_, static_cast<uint32_t>(key.size()));
  chunk_.append(key);
  PutFixed<uint32_t>(&chunk_, static_cast<uint32_t>(value.size()));
  chunk_.append(value);
  ++count_;
  return Status::OK();
}

Status RecordChunker::Flush() {
  EncodeFixed<uint32_t>({reinterpret_cast<uint8_t*>(chunk_.data()), chunk_.size()}, 8, count_);
  std::string out;
  out.swap(chunk_);
  count_ = 0;
  return emit_(std::move(out));
}

Status RecordChunker::Finish() {
  if (count_ == 0) return Status::OK();
  return Flush();
}

Status ForEachChunkRecord(std::string_view in, const IndexRecordSink& sink) {
  uint32_t version = 0, count = 0;
  if (in.size() < kHeaderBytes || in.substr(0, 4) != kMagic) {
    return Status::Corruption("record chunk: bad magic");
  }
  in.remove_prefix(4);
  if (!GetFixed(&in, &version) || version != kVersion || !GetFixed(&in, &count)) {
    return Status::Corruption("record chunk: unknown version");
  }
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t key_len = 0, value_len = 0;
    std::string_view key, value;
    if (!GetFixed(&in, &key_len) || !GetBytes(&in, key_len, &key) || !GetFixed(&in, &value_len) ||
        !GetBytes(&in, value_len, &value)) {
      return Status::Corruption("record chunk: truncated record");
    }
    LOOKALIKE_RETURN_IF_ERROR(sink(key, value));
  }
  if (!in.empty()) return Status::Corruption("record chunk: trailing bytes");
  return Status::OK();
}

}  // namespace lookalike::snapshot
