#include "tools/loadgen/open_loop.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_format.h"

namespace cascade::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

// Counts requests in flight; the scheduler waits on it when the cap is reached.
class InFlight {
 public:
  explicit InFlight(int cap) : cap_(cap) {}
  // Returns whether it had to wait.
  bool Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    bool waited = count_ >= cap_;
    changed_.wait(lock, [this] { return count_ < cap_; });
    ++count_;
    return waited;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    --count_;
    changed_.notify_all();
  }
  // Returns how many are still in flight at `deadline` (0 when all ended before it).
  int WaitForNoneUntil(Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_until(lock, deadline, [this] { return count_ == 0; });
    return count_;
  }
  int count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int count_ = 0;
  const int cap_;
};

}  // namespace

OpenLoopResult RunOpenLoop(const OpenLoopOptions& options,
                           const std::vector<v1::CascadeRequest>& requests, LoadTarget& target) {
  // Shared with the completion callbacks: a call that never answers (a target that loses a
  // callback) may complete after this function has given up on it and returned.
  auto recorder_owner = std::make_shared<LatencyRecorder>();
  auto in_flight_owner = std::make_shared<InFlight>(options.max_in_flight);
  LatencyRecorder& recorder = *recorder_owner;
  InFlight& in_flight = *in_flight_owner;
  OpenLoopResult result;
  const auto interval = std::chrono::duration<double>(1.0 / options.rate_per_second);
  const int64_t total = static_cast<int64_t>(
      options.rate_per_second * std::chrono::duration<double>(options.duration).count());
  const Clock::time_point start = Clock::now();
  Clock::time_point next_progress = start + options.progress_every;

  auto progress = [&](Clock::time_point now, int64_t sent) {
    if (!options.on_progress) return;
    LatencySummary recent = Summarize(recorder.DrainRecent());
    LatencyRecorder::Snapshot so_far = recorder.Take();
    options.on_progress(absl::StrFormat(
        "[%5.1fs] sent %d  done %d  in flight %d  errors %d  last interval p50 %.2f ms  p99 "
        "%.2f ms",
        std::chrono::duration<double>(now - start).count(), sent, so_far.done, in_flight.count(),
        so_far.errors, recent.p50_ms, recent.p99_ms));
  };

  bool behind_because_of_cap = false;
  for (int64_t i = 0; i < total; ++i) {
    const Clock::time_point scheduled =
        start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i));
    // A request is held by the cap when it waited for a slot, or when it is late only
    // because an earlier one waited (the schedule has not caught up since).
    if (Clock::now() <= scheduled) behind_because_of_cap = false;
    std::this_thread::sleep_until(scheduled);
    if (in_flight.Acquire()) behind_because_of_cap = true;
    if (behind_because_of_cap) ++result.held_by_cap;
    const v1::CascadeRequest& request = requests[static_cast<size_t>(i) % requests.size()];
    target.Send(request, options.request_timeout,
                [recorder_owner, in_flight_owner, scheduled](CallOutcome outcome) {
                  double ms =
                      std::chrono::duration<double, std::milli>(Clock::now() - scheduled).count();
                  recorder_owner->Record(outcome.code, outcome.ok, ms);
                  in_flight_owner->Release();
                });
    ++result.scheduled;
    const Clock::time_point now = Clock::now();
    if (now >= next_progress) {
      progress(now, result.scheduled);
      next_progress += options.progress_every;
    }
  }
  // Every request carries its deadline, so all should have ended by then; a target that
  // never answers must not hang the run: what is left is reported as unanswered.
  result.unanswered =
      in_flight.WaitForNoneUntil(Clock::now() + options.request_timeout + options.answer_grace);
  result.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  progress(Clock::now(), result.scheduled);
  result.outcomes = recorder.Take();
  return result;
}

}  // namespace cascade::loadgen
