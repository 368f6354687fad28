// The in-flight request-body budget: every byte the transport holds (or has promised to hold)
// for request bodies counts against one global limit, so many concurrent large uploads cannot
// exhaust memory. A request whose body would pass the limit is refused up front with 429
// circuit_breaking_exception (Elasticsearch's in-flight-requests breaker) instead of buffered.
//
// A Content-Length body is charged in full when its headers arrive (the buffer is reserved at
// that size, so its memory is bounded by what was charged); a chunked body is charged chunk by
// chunk; an inflated (gzip/deflate) body is charged its inflated size as well. The charge is
// released when the response to that request has been handed back to the connection.
//
// A request is always admitted when nothing else is charged, so a body up to the per-request
// limit (--max-body-mb) can go through even when the budget is smaller.
//
// Thread safety: BodyBudget is safe to share (atomics); a BodyReservation belongs to one
// connection and is used by one thread at a time.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>

namespace lookalike::server {

class BodyBudget {
 public:
  /// `limit_bytes` 0 means unlimited (still counted).
  explicit BodyBudget(size_t limit_bytes) : limit_(limit_bytes) {}
  BodyBudget(const BodyBudget&) = delete;
  BodyBudget& operator=(const BodyBudget&) = delete;

  /// Counts `bytes` more, unless that passes the limit while something else is counted.
  bool TryCharge(size_t bytes);
  void Release(size_t bytes) { used_.fetch_sub(bytes); }

  size_t used() const { return used_.load(); }
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  std::atomic<size_t> used_{0};
};

/// What one request has charged; released on destruction. Null budget = nothing is counted.
class BodyReservation {
 public:
  BodyReservation() = default;
  explicit BodyReservation(BodyBudget* budget) : budget_(budget) {}
  BodyReservation(BodyReservation&& other) noexcept { *this = std::move(other); }
  BodyReservation& operator=(BodyReservation&& other) noexcept;
  BodyReservation(const BodyReservation&) = delete;
  BodyReservation& operator=(const BodyReservation&) = delete;
  ~BodyReservation() { Release(); }

  /// Charges `bytes` more; false (nothing charged) when the budget refuses.
  bool Grow(size_t bytes);
  void Release();
  size_t bytes() const { return bytes_; }
  BodyBudget* budget() const { return budget_; }

 private:
  BodyBudget* budget_ = nullptr;
  size_t bytes_ = 0;
};

/// The reason of the 429 for a request that wanted `wanted` more bytes: Elasticsearch's
/// "[in_flight_requests] Data too large, data for [<http_request>] would be [...]" wording.
std::string BodyBudgetExceededReason(const BodyBudget& budget, size_t wanted);

}  // namespace lookalike::server
