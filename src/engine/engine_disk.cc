// The disk side of the write path (issue 7): the read-only-allow-delete block of the flood-stage
// watermark or of a storage failure, the monitor thread that heals the store, and the log of
// refused writes.
#include <spdlog/spdlog.h>

#include "engine/engine_impl.h"
#include "engine/refusal_log.h"

namespace lookalike::engine {
namespace {

// Elasticsearch's block description, ClusterBlock "TOO_MANY_REQUESTS/12".
constexpr std::string_view kFloodStageBlock =
    "TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has "
    "read-only-allow-delete block";

// How old a disk sample may be when a write asks: a filler process can eat the disk between
// two background samples; one statvfs per write request at most every 50 ms is cheap.
constexpr std::chrono::milliseconds kWriteSampleAge{50};

}  // namespace

bool RefusalLog::Log(std::string_view what, std::string_view index, size_t refused, size_t total,
                     const Status& first) {
  auto now = std::chrono::steady_clock::now();
  uint64_t skipped = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (last_ != std::chrono::steady_clock::time_point{} && now - last_ < interval_) {
      ++suppressed_;
      return false;
    }
    last_ = now;
    skipped = suppressed_;
    suppressed_ = 0;
  }
  std::string_view type =
      first.kind() == ErrorKind::kNone ? StatusCodeName(first.code()) : ErrorKindName(first.kind());
  std::string more = skipped == 0 ? ""
                                  : " (and " + std::to_string(skipped) +
                                        " more refused requests since the last line)";
  if (total > 1) {
    spdlog::warn("{} refused {} of {} items; first [{}]: {}: {}{}", what, refused, total, index,
                 type, first.message(), more);
  } else {
    spdlog::warn("{} [{}] refused: {}: {}{}", what, index, type, first.message(), more);
  }
  return true;
}

Status EngineImpl::StartDiskMonitor() {
  LOOKALIKE_ASSIGN_OR_RETURN(
      storage::DiskWatermarks watermarks,
      storage::DiskWatermarks::FromText(options_.disk_watermark_low, options_.disk_watermark_high,
                                        options_.disk_flood_stage));
  disk_monitor_ = std::make_unique<storage::DiskMonitor>(options_.data_dir, watermarks);
  int interval = options_.disk_check_interval_ms > 0 ? options_.disk_check_interval_ms : 1000;
  disk_monitor_->Start(std::chrono::milliseconds(interval), [this] {
    if (!store_->writable()) (void)store_->TryRecover();
  });
  return Status::OK();
}

Status EngineImpl::SetDiskWatermarks(std::string_view low, std::string_view high,
                                     std::string_view flood_stage) {
  LOOKALIKE_ASSIGN_OR_RETURN(storage::DiskWatermarks watermarks,
                             storage::DiskWatermarks::FromText(
                                 low.empty() ? options_.disk_watermark_low : low,
                                 high.empty() ? options_.disk_watermark_high : high,
                                 flood_stage.empty() ? options_.disk_flood_stage : flood_stage));
  if (!disk_monitor_) return Status::Unavailable("the engine is shut down");
  disk_monitor_->SetWatermarks(watermarks);
  spdlog::info("disk watermarks: low [{}], high [{}], flood stage [{}]", watermarks.low.text(),
               watermarks.high.text(), watermarks.flood_stage.text());
  return Status::OK();
}

Status EngineImpl::CheckWritable(std::string_view index) const {
  bool flood = disk_monitor_ && disk_monitor_->MaybeCheck(kWriteSampleAge);
  bool store_ok = store_->writable();
  if (!flood && store_ok) return Status::OK();
  std::string reason =
      "index [" + std::string(index) + "] blocked by: [" + std::string(kFloodStageBlock) + "];";
  if (!store_ok) reason += " storage is read-only until it recovers from: " + store_->failure();
  return Status::ResourceExhausted(reason).WithKind(ErrorKind::kWriteBlocked);
}

void EngineImpl::LogRefused(std::string_view what, std::string_view index, size_t refused,
                            size_t total, const Status& first) {
  (void)refusal_log_->Log(what, index, refused, total, first);
}

}  // namespace lookalike::engine
