// RefusalLog: one log line per refused write request, rate-limited so a client retrying a
// refused write in a tight loop (or a million-item _bulk) cannot flood the log.
//
// At most one line per `interval`; lines skipped in between are counted and reported with the
// next one ("... (and 1234 more refused requests since the last line)").
//
// Thread safety: Log() may be called from any thread; mu_ guards the counters.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "lookalike/status.h"

namespace lookalike::engine {

class RefusalLog {
 public:
  explicit RefusalLog(std::chrono::milliseconds interval = std::chrono::seconds(1))
      : interval_(interval) {}

  /// `what`: "bulk", "index", "delete", "create index" ...; `refused` of `total` items failed,
  /// `first` is the first failure (its type and reason are logged). Returns whether a line was
  /// written (for tests).
  bool Log(std::string_view what, std::string_view index, size_t refused, size_t total,
           const Status& first);

 private:
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_{};
  uint64_t suppressed_ = 0;  // requests not logged since the last line
};

}  // namespace lookalike::engine
