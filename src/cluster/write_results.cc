// Per-item write results: the ring and the wire format; see write_results.h.
#include "cluster/write_results.h"

#include <algorithm>

#include "cluster/wire_coding.h"

namespace lookalike::cluster {
namespace {

constexpr char kWriteResultsMagic[5] = "LKWR";
// u8 result, u8 code, u8 kind, u32 message length, three i64.
constexpr size_t kMinItemBytes = 3 + 4 + 3 * 8;

Status Damaged() { return Status::Corruption("write results are damaged"); }

}  // namespace

std::string EncodeWriteResults(const std::vector<WriteOutcome>& outcomes) {
  std::string payload;
  WireWriter w(&payload);
  w.Count(outcomes.size());
  for (const WriteOutcome& out : outcomes) {
    w.Put<uint8_t>(static_cast<uint8_t>(out.result));
    w.Put<uint8_t>(static_cast<uint8_t>(out.status.code()));
    w.Put<uint8_t>(static_cast<uint8_t>(out.status.kind()));
    w.String(out.status.message());
    w.Put<int64_t>(out.version);
    w.Put<int64_t>(out.seq_no);
    w.Put<int64_t>(out.primary_term);
  }
  return FrameWireMessage(kWriteResultsMagic, payload);
}

Result<std::vector<WriteOutcome>> DecodeWriteResults(std::string_view bytes) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string_view payload,
                             UnframeWireMessage(kWriteResultsMagic, bytes, "write results"));
  WireReader r(payload);
  size_t count = 0;
  if (!r.Count(kMinItemBytes, &count)) return Damaged();
  std::vector<WriteOutcome> outcomes(count);
  for (WriteOutcome& out : outcomes) {
    uint8_t result = 0, code = 0, kind = 0;
    std::string message;
    if (!r.Get(&result) || !r.Get(&code) || !r.Get(&kind) || !r.String(&message) ||
        !r.Get(&out.version) || !r.Get(&out.seq_no) || !r.Get(&out.primary_term)) {
      return Damaged();
    }
    if (result > static_cast<uint8_t>(WriteResultKind::kNoop) ||
        code > static_cast<uint8_t>(StatusCode::kPermissionDenied) || kind >= kErrorKindCount) {
      return Damaged();
    }
    // An OK item carries no message or kind (what the encoder writes for it): canonical.
    if (code == 0 && (kind != 0 || !message.empty())) return Damaged();
    out.result = static_cast<WriteResultKind>(result);
    if (code != 0) {
      out.status = Status(static_cast<StatusCode>(code), message)
                       .WithKind(static_cast<ErrorKind>(kind));
    }
  }
  if (!r.done()) return Damaged();
  return outcomes;
}

void WriteResultRing::Add(uint64_t sequence, std::vector<WriteOutcome> outcomes) {
  std::lock_guard<std::mutex> lock(mu_);
  items_ += outcomes.size();
  batches_.emplace_back(sequence, std::move(outcomes));
  while (batches_.size() > 1 && items_ - batches_.back().second.size() > max_items_) {
    items_ -= batches_.front().second.size();
    batches_.pop_front();
  }
}

Result<std::vector<WriteOutcome>> WriteResultRing::Get(uint64_t sequence) const {
  std::lock_guard<std::mutex> lock(mu_);
  // Sequences increase along the deque: binary search.
  auto it = std::lower_bound(batches_.begin(), batches_.end(), sequence,
                             [](const auto& entry, uint64_t s) { return entry.first < s; });
  if (it == batches_.end() || it->first != sequence) {
    return Status::NotFound("the results of stream sequence " + std::to_string(sequence) +
                            " are not kept on this copy");
  }
  return it->second;
}

}  // namespace lookalike::cluster
