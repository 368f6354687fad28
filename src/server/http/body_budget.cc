// The in-flight request-body budget; see body_budget.h.
#include "server/http/body_budget.h"

#include <cstdio>
#include <utility>

namespace lookalike::server {

bool BodyBudget::TryCharge(size_t bytes) {
  size_t used = used_.load();
  while (true) {
    bool fits = limit_ == 0 || used == 0 || used + bytes <= limit_;
    if (!fits) return false;
    if (used_.compare_exchange_weak(used, used + bytes)) return true;
  }
}

BodyReservation& BodyReservation::operator=(BodyReservation&& other) noexcept {
  if (this != &other) {
    Release();
    budget_ = other.budget_;
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

bool BodyReservation::Grow(size_t bytes) {
  if (budget_ == nullptr || bytes == 0) return true;
  if (!budget_->TryCharge(bytes)) return false;
  bytes_ += bytes;
  return true;
}

void BodyReservation::Release() {
  if (budget_ != nullptr && bytes_ != 0) budget_->Release(bytes_);
  bytes_ = 0;
}

namespace {
std::string HumanBytes(size_t bytes) {
  char buf[64];
  double mb = static_cast<double>(bytes) / (1024.0 * 1024.0);
  std::snprintf(buf, sizeof(buf), "%zu/%.1fmb", bytes, mb);
  return buf;
}
}  // namespace

std::string BodyBudgetExceededReason(const BodyBudget& budget, size_t wanted) {
  size_t used = budget.used();
  return "[in_flight_requests] Data too large, data for [<http_request>] would be [" +
         HumanBytes(used + wanted) + "], which is larger than the limit of [" +
         HumanBytes(budget.limit()) + "], usage: [" + HumanBytes(used) +
         "], new bytes reserved: [" + HumanBytes(wanted) + "]";
}

}  // namespace lookalike::server
