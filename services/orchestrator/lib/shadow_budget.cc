#include "services/orchestrator/lib/shadow_budget.h"

namespace cascade::orchestrator {

void ShadowBudget::ExpireLocked(absl::Time now) {
  while (!entries_.empty() && entries_.front().at <= now - absl::Hours(1)) {
    const Entry& oldest = entries_.front();
    spent_ -= oldest.pusd;
    if (oldest.id != 0) expired_[oldest.id] = oldest.reserved;
    entries_.pop_front();
  }
}

bool ShadowBudget::HasRoom(absl::Time now) {
  absl::MutexLock lock(&mu_);
  ExpireLocked(now);
  return spent_ < max_pusd_per_hour_;
}

std::optional<uint64_t> ShadowBudget::TryReserve(int64_t pusd, absl::Time now) {
  absl::MutexLock lock(&mu_);
  ExpireLocked(now);
  if (pusd < 0 || spent_ + pusd > max_pusd_per_hour_) return std::nullopt;
  const uint64_t id = next_id_++;
  entries_.push_back({now, pusd, id, pusd});
  spent_ += pusd;
  return id;
}

void ShadowBudget::Settle(uint64_t id, int64_t actual, absl::Time now) {
  absl::MutexLock lock(&mu_);
  ExpireLocked(now);
  for (Entry& entry : entries_) {
    if (entry.id != id) continue;
    spent_ += actual - entry.pusd;
    entry.pusd = actual;
    entry.id = 0;  // Settled.
    return;
  }
  // Reserved more than an hour ago: only an overrun still counts (an hour from now).
  auto expired = expired_.find(id);
  if (expired == expired_.end()) return;
  const int64_t overrun = actual - expired->second;
  expired_.erase(expired);
  if (overrun > 0) {
    entries_.push_back({now, overrun, 0, overrun});
    spent_ += overrun;
  }
}

int64_t ShadowBudget::SpentInLastHour(absl::Time now) {
  absl::MutexLock lock(&mu_);
  ExpireLocked(now);
  return spent_;
}

}  // namespace cascade::orchestrator
