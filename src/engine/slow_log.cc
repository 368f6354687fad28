// SlowLog (include/lookalike/slow_log.h): thresholds, the line format and the ring.
#include "lookalike/slow_log.h"

#include <spdlog/spdlog.h>

#include <cstdio>

namespace lookalike {

std::string_view SlowLogLevelName(SlowLogLevel level) {
  static constexpr std::string_view kNames[] = {"warn", "info", "debug", "trace"};
  return kNames[static_cast<int>(level)];
}

std::optional<SlowLogLevel> SlowLogThresholds::LevelFor(int64_t took_nanos) const {
  for (int level = 0; level < 4; ++level) {
    if (nanos[level] >= 0 && took_nanos >= nanos[level]) return static_cast<SlowLogLevel>(level);
  }
  return std::nullopt;
}

int64_t SlowLogThresholds::Floor() const {
  int64_t floor = -1;
  for (int64_t t : nanos) {
    if (t >= 0 && (floor < 0 || t < floor)) floor = t;
  }
  return floor;
}

std::string SlowLogEntry::Line() const {
  char took[32];
  std::snprintf(took, sizeof(took), "%.3f", took_ms);
  std::string line = "slowlog type[" + type + "] index[" + index + "] took_ms[" + took + "]";
  if (type == "search") {
    line += " kind[" + kind + "] total_hits[" + std::to_string(total_hits) + "]";
  } else {
    line += " id[" + id + "]";
  }
  line += " source[" + source + "]";
  return line;
}

void SlowLog::Record(SlowLogEntry entry) {
  std::string line = entry.Line();
  switch (entry.level) {
    case SlowLogLevel::kWarn:
      spdlog::warn("{}", line);
      break;
    case SlowLogLevel::kInfo:
      spdlog::info("{}", line);
      break;
    case SlowLogLevel::kDebug:
      spdlog::debug("{}", line);
      break;
    case SlowLogLevel::kTrace:
      spdlog::trace("{}", line);
      break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (capacity_ == 0) return;
  if (entries_.size() == capacity_) entries_.pop_front();
  entries_.push_back(std::move(entry));
}

std::vector<SlowLogEntry> SlowLog::Entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {entries_.begin(), entries_.end()};
}

}  // namespace lookalike
