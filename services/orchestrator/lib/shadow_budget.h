#pragma once

// Shadow evaluation's spend limit: at most `max_pusd_per_hour` in any sliding hour. A call
// reserves its estimated cost before it is made and settles to what it cost after, so that
// calls in flight count; a reservation that does not fit is refused. Thread-safe.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cascade::orchestrator {

class ShadowBudget {
 public:
  explicit ShadowBudget(int64_t max_pusd_per_hour) : max_pusd_per_hour_(max_pusd_per_hour) {}

  // Whether anything is left in the hour before `now` (a cheap check before queueing).
  bool HasRoom(absl::Time now);
  // Reserves `pusd` at `now`: the reservation's id, or nullopt (nothing reserved) when the
  // hour's spend would pass the limit.
  std::optional<uint64_t> TryReserve(int64_t pusd, absl::Time now);
  // Replaces reservation `id` by what the call cost (0 for a call that failed before it
  // cost anything). A reservation that already left the window adds only what it cost
  // above the estimate, dated `now`.
  void Settle(uint64_t id, int64_t actual, absl::Time now);
  // The spend (reservations included) in the hour before `now`.
  int64_t SpentInLastHour(absl::Time now);

 private:
  struct Entry {
    absl::Time at;
    int64_t pusd;
    uint64_t id;
    int64_t reserved;  // What TryReserve reserved (pusd until settled).
  };
  void ExpireLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int64_t max_pusd_per_hour_;
  absl::Mutex mu_;
  std::deque<Entry> entries_ ABSL_GUARDED_BY(mu_);  // Oldest first.
  int64_t spent_ ABSL_GUARDED_BY(mu_) = 0;          // Sum of entries_.
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Reservations that left the window unsettled: id -> reserved.
  std::map<uint64_t, int64_t> expired_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cascade::orchestrator
