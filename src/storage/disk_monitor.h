// DiskMonitor: Elasticsearch-style disk watermarks on the data directory's file system.
//
// Above the flood-stage watermark every index gets the read-only-allow-delete block: writes are
// refused (429 cluster_block_exception), reads and DELETE of a whole index go on. The block is
// lifted automatically once usage falls below the high watermark (Elasticsearch >= 7.4), so a
// disk that hovers around the flood stage does not flap; when high and flood stage are of
// different kinds (a ratio and a byte size), usage must be below both. The low watermark only
// matters for shard allocation in a cluster; it is parsed and reported, nothing more.
//
// A background thread samples the file system (statvfs) every `interval`; writers read the
// result through one relaxed atomic load (blocked()), and may force a fresh sample before large
// writes (MaybeCheck()). The thread also runs a caller-supplied tick (DocStore recovery).
//
// Thread safety: all methods are thread-safe. mu_ guards watermarks_, usage_ and reason_;
// blocked_ is atomic so the write path never takes mu_. Start/Stop are called by the owner
// only (not concurrently with each other).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "lookalike/status.h"

namespace lookalike::storage {

/// Space of one file system as seen by an unprivileged writer.
struct DiskUsage {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;  // statvfs f_bavail * f_frsize
  double UsedFraction() const;
};

/// The seam to the operating system: statvfs in production, a fake in tests.
using DiskUsageProbe = std::function<Result<DiskUsage>(const std::string& path)>;
/// statvfs(2) of `path`.
Result<DiskUsage> StatvfsProbe(const std::string& path);

/// One watermark: either a share of the disk in use ("95%", "0.95") or, as in Elasticsearch, an
/// absolute amount of space that must stay free ("1gb", "500mb", "1024b").
class Watermark {
 public:
  static Watermark UsedRatio(double ratio);
  static Watermark FreeBytes(uint64_t bytes);
  /// "95%", "95.5%", "0.95", "1gb", "10mb", "512kb", "100b", "1tb" (case-insensitive).
  /// InvalidArgument (illegal_argument_exception) otherwise, or for ratios outside [0, 1].
  static Result<Watermark> Parse(std::string_view text);

  bool Exceeded(const DiskUsage& usage) const;
  /// How Elasticsearch prints it: "95.0%" or "1gb"-style text as given.
  const std::string& text() const { return text_; }
  bool is_ratio() const { return is_ratio_; }
  double ratio() const { return ratio_; }
  uint64_t free_bytes() const { return free_bytes_; }

 private:
  bool is_ratio_ = true;
  double ratio_ = 0.95;
  uint64_t free_bytes_ = 0;
  std::string text_ = "95%";
};

struct DiskWatermarks {
  Watermark low = Watermark::UsedRatio(0.85);
  Watermark high = Watermark::UsedRatio(0.90);
  Watermark flood_stage = Watermark::UsedRatio(0.95);
  /// Both ratios or both byte values must not be inverted (high above flood stage); mixing
  /// kinds is allowed, as in Elasticsearch 7 only with a warning. InvalidArgument otherwise.
  Status Validate() const;
  /// From "--disk-*" style texts; empty texts keep the defaults.
  static Result<DiskWatermarks> FromText(std::string_view low, std::string_view high,
                                         std::string_view flood_stage);
};

class DiskMonitor {
 public:
  DiskMonitor(std::string path, DiskWatermarks watermarks, DiskUsageProbe probe = StatvfsProbe);
  ~DiskMonitor();
  DiskMonitor(const DiskMonitor&) = delete;
  DiskMonitor& operator=(const DiskMonitor&) = delete;

  /// Samples once now, then every `interval` on a background thread which afterwards calls
  /// `tick` (may be empty). Idempotent.
  void Start(std::chrono::milliseconds interval, std::function<void()> tick);
  /// Stops and joins the thread. Idempotent; the destructor calls it.
  void Stop();

  /// True while the read-only-allow-delete block is on (one atomic load).
  bool blocked() const { return blocked_.load(std::memory_order_relaxed); }
  /// Samples the disk now and updates the block. Returns whether it is on. A failing probe
  /// keeps the previous state (a transient statvfs error must not block or unblock writes).
  bool Check();
  /// Check() unless the last sample is younger than `max_age`; cheap enough before each write.
  bool MaybeCheck(std::chrono::milliseconds max_age);

  void SetWatermarks(const DiskWatermarks& watermarks);
  DiskWatermarks watermarks() const;
  DiskUsage last_usage() const;
  /// "disk usage exceeded flood-stage watermark" plus the numbers, for logs ("" when unblocked).
  std::string reason() const;
  const std::string& path() const { return path_; }

 private:
  void Loop(std::chrono::milliseconds interval);

  const std::string path_;
  const DiskUsageProbe probe_;
  mutable std::mutex mu_;
  DiskWatermarks watermarks_;  // guarded by mu_
  DiskUsage usage_;            // guarded by mu_
  std::string reason_;         // guarded by mu_
  std::atomic<bool> blocked_{false};
  std::atomic<int64_t> last_check_ns_{0};

  std::mutex thread_mu_;  // guards stopping_ for the condition variable
  std::condition_variable wake_;
  bool stopping_ = false;
  std::function<void()> tick_;
  std::thread thread_;
};

}  // namespace lookalike::storage
