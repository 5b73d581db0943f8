#include "services/orchestrator/lib/circuit_breaker.h"

#include <utility>

namespace cascade::orchestrator {

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options, Clock clock,
                               std::function<void(bool open)> on_change)
    : options_(options), clock_(std::move(clock)), on_change_(std::move(on_change)) {}

bool CircuitBreaker::Allow() {
  absl::MutexLock lock(&mu_);
  if (!open_) return true;
  if (clock_() < open_until_ || probe_in_flight_) return false;
  probe_in_flight_ = true;
  return true;
}

void CircuitBreaker::RecordSuccess() {
  bool closed = false;
  {
    absl::MutexLock lock(&mu_);
    consecutive_failures_ = 0;
    probe_in_flight_ = false;
    if (open_) {
      open_ = false;
      closed = true;
    }
  }
  if (closed && on_change_) on_change_(false);
}

void CircuitBreaker::RecordFailure() {
  bool opened = false;
  {
    absl::MutexLock lock(&mu_);
    ++consecutive_failures_;
    if (open_) {
      // A failed probe (or a call let through before the circuit opened): wait again.
      if (probe_in_flight_) open_until_ = clock_() + options_.open_for;
      probe_in_flight_ = false;
    } else if (consecutive_failures_ >= options_.failures) {
      open_ = true;
      opened = true;
      open_until_ = clock_() + options_.open_for;
    }
  }
  if (opened && on_change_) on_change_(true);
}

void CircuitBreaker::RecordAbandoned() {
  absl::MutexLock lock(&mu_);
  probe_in_flight_ = false;
}

bool CircuitBreaker::IsOpen() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

}  // namespace cascade::orchestrator
