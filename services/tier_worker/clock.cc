#include "services/tier_worker/clock.h"

#include "absl/time/clock.h"

namespace cascade::tier_worker {
namespace {

class WallClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  bool SleepFor(absl::Duration duration, const CancellationToken* cancel) override {
    if (cancel == nullptr) {
      absl::SleepFor(duration);
      return true;
    }
    return !cancel->WaitUntil(absl::Now() + duration);
  }
};

}  // namespace

Clock* RealClock() {
  static auto* clock = new WallClock();
  return clock;
}

}  // namespace cascade::tier_worker
