#pragma once

// One tier's circuit breaker: after `failures` consecutive failed calls the tier is
// skipped for `open_for`; then one call at a time probes it (half-open). A probe that
// succeeds closes the circuit, one that fails opens it for another `open_for`.

#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cascade::orchestrator {

struct CircuitBreakerOptions {
  int failures = 5;
  absl::Duration open_for = absl::Seconds(30);
};

class CircuitBreaker {
 public:
  using Clock = std::function<absl::Time()>;
  // `on_change(open)` runs (under no lock of ours) when the circuit opens or closes.
  CircuitBreaker(CircuitBreakerOptions options, Clock clock,
                 std::function<void(bool open)> on_change = nullptr);

  // Whether a call may go to the tier now. While open, false until `open_for` has passed;
  // then true for exactly one caller (the probe) until it reports.
  bool Allow();
  void RecordSuccess();
  void RecordFailure();
  // The call ended without telling anything about the tier (the client cancelled): a probe
  // slot it held is given back.
  void RecordAbandoned();
  bool IsOpen() const;

 private:
  CircuitBreakerOptions options_;
  Clock clock_;
  std::function<void(bool)> on_change_;
  mutable absl::Mutex mu_;
  int consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time open_until_ ABSL_GUARDED_BY(mu_);
  bool probe_in_flight_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cascade::orchestrator
