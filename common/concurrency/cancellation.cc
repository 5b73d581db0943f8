#include "common/concurrency/cancellation.h"

#include <utility>
#include <vector>

namespace cascade {

void CancellationToken::Cancel() {
  absl::MutexLock running(&run_mu_);
  std::vector<std::function<void()>> to_run;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    cancelled_ = true;
    for (auto& [id, callback] : callbacks_) to_run.push_back(std::move(callback));
    callbacks_.clear();
  }
  // Outside mu_: a callback may ask IsCancelled().
  for (auto& callback : to_run) callback();
}

bool CancellationToken::IsCancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

int64_t CancellationToken::AddCallback(std::function<void()> callback) {
  {
    absl::MutexLock lock(&mu_);
    if (!cancelled_) {
      int64_t id = next_id_++;
      callbacks_.emplace(id, std::move(callback));
      return id;
    }
  }
  callback();
  return -1;
}

void CancellationToken::RemoveCallback(int64_t id) {
  absl::MutexLock running(&run_mu_);
  absl::MutexLock lock(&mu_);
  callbacks_.erase(id);
}

bool CancellationToken::WaitUntil(absl::Time until) const {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithDeadline(absl::Condition(&cancelled_), until);
  return cancelled_;
}

ScopedCancellationCallback::ScopedCancellationCallback(CancellationToken* token,
                                                       std::function<void()> callback)
    : token_(token) {
  if (token_ != nullptr) id_ = token_->AddCallback(std::move(callback));
}

ScopedCancellationCallback::~ScopedCancellationCallback() {
  if (token_ != nullptr && id_ >= 0) token_->RemoveCallback(id_);
}

}  // namespace cascade
