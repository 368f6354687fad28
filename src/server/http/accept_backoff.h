// What the accept loop does when accept() fails for lack of resources (EMFILE, ENFILE,
// ENOBUFS, ENOMEM): the listening socket stays readable, so retrying at once spins the event
// loop at full CPU and floods the log. Instead the loop stops watching the listening socket
// for a pause that starts at 100 ms and doubles up to 1 s while the errors go on, and logs at
// most one line per second carrying the number of failures since the previous line. A
// successful accept resets the pause.
//
// Pure logic over a caller-supplied clock, so tests can drive it without sockets.
//
// Thread safety: none; owned by the event-loop thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace lookalike::server {

class AcceptBackoff {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kFirstPause{100};
  static constexpr std::chrono::milliseconds kMaxPause{1000};
  static constexpr std::chrono::milliseconds kLogInterval{1000};

  struct Decision {
    std::chrono::milliseconds pause;  // stop accepting for this long
    bool log = false;                 // write one log line now ...
    uint64_t failures_to_report = 0;  // ... saying this many accepts failed since the last one
  };

  /// An accept failed for lack of resources at `now`.
  Decision OnResourceError(Clock::time_point now);
  /// An accept succeeded: the next failure starts again at the first pause.
  void OnSuccess() { next_pause_ = kFirstPause; }

  uint64_t total_failures() const { return total_failures_; }

 private:
  std::chrono::milliseconds next_pause_ = kFirstPause;
  uint64_t unreported_ = 0;
  uint64_t total_failures_ = 0;
  bool logged_once_ = false;
  Clock::time_point last_log_{};
};

/// True for the accept() errors that mean "out of resources, try later" rather than a problem
/// of one connection.
bool IsAcceptResourceError(int err);

}  // namespace lookalike::server
