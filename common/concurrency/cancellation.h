#pragma once

// A call's cancellation, shared between a gRPC or HTTP adapter (which learns that the caller
// went away) and the backend doing blocking upstream I/O (which must stop paying for
// tokens nobody will read).

#include <cstdint>
#include <functional>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cascade {

class CancellationToken {
 public:
  CancellationToken() = default;
  CancellationToken(const CancellationToken&) = delete;
  CancellationToken& operator=(const CancellationToken&) = delete;

  // Idempotent. Runs the registered callbacks (once) on the calling thread. Callbacks
  // must not add or remove callbacks.
  void Cancel();
  bool IsCancelled() const;

  // Runs `callback` on Cancel(), or at once when already cancelled. The id removes it.
  int64_t AddCallback(std::function<void()> callback);
  // Once this returns, the callback is not running and never will.
  void RemoveCallback(int64_t id);

  // Blocks until `until` or cancellation, whichever comes first; true when cancelled.
  bool WaitUntil(absl::Time until) const;

 private:
  // Held while callbacks run, so RemoveCallback can wait for a running one.
  absl::Mutex run_mu_;
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(run_mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  int64_t next_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int64_t, std::function<void()>> callbacks_ ABSL_GUARDED_BY(mu_);
};

// Removes a callback when it goes out of scope, so a callback never outlives what it uses.
class ScopedCancellationCallback {
 public:
  ScopedCancellationCallback(CancellationToken* token, std::function<void()> callback);
  ~ScopedCancellationCallback();
  ScopedCancellationCallback(const ScopedCancellationCallback&) = delete;
  ScopedCancellationCallback& operator=(const ScopedCancellationCallback&) = delete;

 private:
  CancellationToken* token_;
  int64_t id_ = -1;
};

}  // namespace cascade
