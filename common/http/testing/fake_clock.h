#pragma once

// A clock whose sleeps return at once and move time forward, and a random source that
// returns chosen numbers: backoff schedules become exact and tests wait for nothing.

#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/http/clock.h"
#include "common/http/random_source.h"

namespace cascade::http::testing {

class FakeClock final : public Clock {
 public:
  // Starts at the real time, so deadlines computed from absl::Now() stay meaningful.
  explicit FakeClock(absl::Time start = absl::Now()) : now_(start) {}

  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  bool SleepFor(absl::Duration duration, const CancellationToken* cancel) override {
    absl::MutexLock lock(&mu_);
    sleeps_.push_back(duration);
    now_ += duration;
    return cancel == nullptr || !cancel->IsCancelled();
  }
  void Advance(absl::Duration duration) {
    absl::MutexLock lock(&mu_);
    now_ += duration;
  }
  std::vector<absl::Duration> sleeps() {
    absl::MutexLock lock(&mu_);
    return sleeps_;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_;
  std::vector<absl::Duration> sleeps_;
};

// Returns the given values in turn, then the last one forever.
class FixedRandom final : public RandomSource {
 public:
  explicit FixedRandom(std::vector<double> values) : values_(std::move(values)) {}
  double Uniform01() override {
    absl::MutexLock lock(&mu_);
    double value = values_[std::min(next_, values_.size() - 1)];
    ++next_;
    return value;
  }

 private:
  absl::Mutex mu_;
  std::vector<double> values_;
  size_t next_ = 0;
};

}  // namespace cascade::http::testing
