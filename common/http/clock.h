#pragma once

// Time as the retry loop sees it, behind an interface so tests run backoff schedules
// without waiting (testing/fake_clock.h).

#include "absl/time/time.h"
#include "common/concurrency/cancellation.h"

namespace cascade::http {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
  // Waits `duration` unless `cancel` (may be null) fires first; false when cancelled.
  virtual bool SleepFor(absl::Duration duration, const CancellationToken* cancel) = 0;
};

// The wall clock; sleeps end early on cancellation.
Clock* RealClock();

}  // namespace cascade::http
