#include "storage/disk_monitor.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace lookalike::storage {
namespace {

Status BadWatermark(std::string_view text) {
  return Status::InvalidArgument("unable to parse disk watermark [" + std::string(text) +
                                 "]: expected a percentage (\"95%\"), a ratio (\"0.95\") or a "
                                 "byte size (\"1gb\")")
      .WithKind(ErrorKind::kInvalidValue);
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Parses a non-negative decimal number that fills all of `s`.
bool ParseNumber(const std::string& s, double* out) {
  if (s.empty() || s.find_first_not_of("0123456789.") != std::string::npos) return false;
  char* end = nullptr;
  errno = 0;
  *out = std::strtod(s.c_str(), &end);
  return errno == 0 && end == s.c_str() + s.size() && std::isfinite(*out);
}

std::string Describe(const DiskUsage& u) {
  char used[32];
  std::snprintf(used, sizeof(used), "%.1f%% used", u.UsedFraction() * 100.0);
  return std::to_string(u.available_bytes) + " of " + std::to_string(u.total_bytes) +
         " bytes free, " + used;
}

}  // namespace

double DiskUsage::UsedFraction() const {
  if (total_bytes == 0) return 0.0;
  uint64_t free = std::min(available_bytes, total_bytes);
  return static_cast<double>(total_bytes - free) / static_cast<double>(total_bytes);
}

Result<DiskUsage> StatvfsProbe(const std::string& path) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) {
    return Status::IOError("statvfs " + path + ": " + std::strerror(errno));
  }
  DiskUsage u;
  u.total_bytes = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
  u.available_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  return u;
}

Watermark Watermark::UsedRatio(double ratio) {
  Watermark w;
  w.is_ratio_ = true;
  w.ratio_ = ratio;
  char text[32];
  std::snprintf(text, sizeof(text), "%g%%", ratio * 100.0);
  w.text_ = text;
  return w;
}

Watermark Watermark::FreeBytes(uint64_t bytes) {
  Watermark w;
  w.is_ratio_ = false;
  w.free_bytes_ = bytes;
  w.text_ = std::to_string(bytes) + "b";
  return w;
}

Result<Watermark> Watermark::Parse(std::string_view text) {
  std::string s = Lower(text);
  double value = 0;
  if (!s.empty() && s.back() == '%') {
    if (!ParseNumber(s.substr(0, s.size() - 1), &value) || value > 100) return BadWatermark(text);
    Watermark w = UsedRatio(value / 100.0);
    w.text_ = std::string(text);
    return w;
  }
  if (ParseNumber(s, &value)) {  // a bare number is a ratio, as in Elasticsearch
    if (value > 1.0) return BadWatermark(text);
    Watermark w = UsedRatio(value);
    w.text_ = std::string(text);
    return w;
  }
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"pb", uint64_t{1} << 50}, {"tb", uint64_t{1} << 40}, {"gb", uint64_t{1} << 30},
      {"mb", uint64_t{1} << 20}, {"kb", uint64_t{1} << 10}, {"b", 1}};
  for (const auto& [unit, scale] : kUnits) {
    if (s.size() > unit.size() && s.compare(s.size() - unit.size(), unit.size(), unit) == 0) {
      if (!ParseNumber(s.substr(0, s.size() - unit.size()), &value)) return BadWatermark(text);
      double bytes = value * static_cast<double>(scale);
      if (bytes >= 1.8e19) return BadWatermark(text);
      Watermark w = FreeBytes(static_cast<uint64_t>(bytes));
      w.text_ = std::string(text);
      return w;
    }
  }
  return BadWatermark(text);
}

bool Watermark::Exceeded(const DiskUsage& usage) const {
  if (usage.total_bytes == 0) return false;  // unknown file system size: never block
  if (is_ratio_) return usage.UsedFraction() >= ratio_;
  return usage.available_bytes < free_bytes_;
}

Status DiskWatermarks::Validate() const {
  auto inverted = [](const Watermark& lower, const Watermark& upper) {
    if (lower.is_ratio() != upper.is_ratio()) return false;
    return lower.is_ratio() ? lower.ratio() > upper.ratio()
                            : lower.free_bytes() < upper.free_bytes();
  };
  if (inverted(low, high) || inverted(high, flood_stage)) {
    return Status::InvalidArgument("disk watermarks must satisfy low [" + low.text() +
                                   "] <= high [" + high.text() + "] <= flood stage [" +
                                   flood_stage.text() + "]")
        .WithKind(ErrorKind::kInvalidValue);
  }
  return Status::OK();
}

Result<DiskWatermarks> DiskWatermarks::FromText(std::string_view low, std::string_view high,
                                                std::string_view flood_stage) {
  DiskWatermarks w;
  for (auto [text, target] :
       {std::pair{low, &w.low}, std::pair{high, &w.high}, std::pair{flood_stage, &w.flood_stage}}) {
    if (text.empty()) continue;
    LOOKALIKE_ASSIGN_OR_RETURN(*target, Watermark::Parse(text));
  }
  LOOKALIKE_RETURN_IF_ERROR(w.Validate());
  return w;
}

DiskMonitor::DiskMonitor(std::string path, DiskWatermarks watermarks, DiskUsageProbe probe)
    : path_(std::move(path)), probe_(std::move(probe)), watermarks_(std::move(watermarks)) {}

DiskMonitor::~DiskMonitor() { Stop(); }

bool DiskMonitor::Check() {
  Result<DiskUsage> sample = probe_(path_);
  last_check_ns_.store(NowNanos(), std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  if (!sample.ok()) {
    spdlog::warn("disk monitor: {}", sample.status().ToString());
    return blocked_.load();
  }
  usage_ = *sample;
  bool was = blocked_.load();
  bool now = was;
  if (!was && watermarks_.flood_stage.Exceeded(usage_)) {
    now = true;
    reason_ = "disk usage exceeded flood-stage watermark [" + watermarks_.flood_stage.text() +
              "] on " + path_ + " (" + Describe(usage_) + ")";
    spdlog::warn(
        "{}: every index is now read-only-allow-delete; writes are refused until usage "
        "falls below the high watermark [{}]",
        reason_, watermarks_.high.text());
  } else if (was && !watermarks_.high.Exceeded(usage_) &&
             !watermarks_.flood_stage.Exceeded(usage_)) {
    // Below high alone is not enough when the two are of different kinds ("90%" and "1gb"):
    // a small disk can be under 90% used and still have less than 1gb free, and releasing there
    // would block again on the next sample, flapping every second (found by watermark_fuzz).
    now = false;
    spdlog::info(
        "disk usage on {} is below the high watermark [{}] ({}): the "
        "read-only-allow-delete block is released",
        path_, watermarks_.high.text(), Describe(usage_));
    reason_.clear();
  }
  blocked_.store(now);
  return now;
}

bool DiskMonitor::MaybeCheck(std::chrono::milliseconds max_age) {
  int64_t age = NowNanos() - last_check_ns_.load(std::memory_order_relaxed);
  if (age < std::chrono::duration_cast<std::chrono::nanoseconds>(max_age).count()) {
    return blocked();
  }
  return Check();
}

void DiskMonitor::SetWatermarks(const DiskWatermarks& watermarks) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    watermarks_ = watermarks;
  }
  Check();
}

DiskWatermarks DiskMonitor::watermarks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return watermarks_;
}

DiskUsage DiskMonitor::last_usage() const {
  std::lock_guard<std::mutex> lock(mu_);
  return usage_;
}

std::string DiskMonitor::reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reason_;
}

void DiskMonitor::Start(std::chrono::milliseconds interval, std::function<void()> tick) {
  if (thread_.joinable()) return;
  Check();
  {
    std::lock_guard<std::mutex> lock(thread_mu_);
    stopping_ = false;
  }
  tick_ = std::move(tick);
  thread_ = std::thread([this, interval] { Loop(interval); });
}

void DiskMonitor::Stop() {
  {
    std::lock_guard<std::mutex> lock(thread_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DiskMonitor::Loop(std::chrono::milliseconds interval) {
  std::unique_lock<std::mutex> lock(thread_mu_);
  while (!stopping_) {
    wake_.wait_for(lock, interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    Check();
    if (tick_) tick_();
    lock.lock();
  }
}

}  // namespace lookalike::storage
