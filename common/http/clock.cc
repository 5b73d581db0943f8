#include "common/http/clock.h"

#include "absl/time/clock.h"

namespace cascade::http {
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

}  // namespace cascade::http
