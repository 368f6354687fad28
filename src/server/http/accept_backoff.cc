// Pausing accept on resource errors; see accept_backoff.h.
#include "server/http/accept_backoff.h"

#include <algorithm>
#include <cerrno>

namespace lookalike::server {

AcceptBackoff::Decision AcceptBackoff::OnResourceError(Clock::time_point now) {
  ++total_failures_;
  ++unreported_;
  Decision d;
  d.pause = next_pause_;
  next_pause_ = std::min(next_pause_ * 2, kMaxPause);
  if (!logged_once_ || now - last_log_ >= kLogInterval) {
    d.log = true;
    d.failures_to_report = unreported_;
    unreported_ = 0;
    last_log_ = now;
    logged_once_ = true;
  }
  return d;
}

bool IsAcceptResourceError(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

}  // namespace lookalike::server
