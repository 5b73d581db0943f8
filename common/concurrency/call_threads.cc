#include "common/concurrency/call_threads.h"

#include <deque>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cascade {

struct CallThreads::State {
  absl::Duration idle_timeout;
  mutable absl::Mutex mu;
  int alive ABSL_GUARDED_BY(mu) = 0;
  int idle ABSL_GUARDED_BY(mu) = 0;
  // Calls handed to idle threads and not yet taken; never longer than `idle`.
  std::deque<std::function<void()>> handed ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;

  bool HasWorkOrStopping() const ABSL_SHARED_LOCKS_REQUIRED(mu) {
    return !handed.empty() || stopping;
  }

  // A thread's life: its first call, then each call handed to it while it waits.
  static void Serve(std::shared_ptr<State> state, std::function<void()> work) {
    while (true) {
      work();
      work = nullptr;  // Whatever the call captured is released before the thread waits.
      absl::MutexLock lock(&state->mu);
      ++state->idle;
      state->mu.AwaitWithTimeout(absl::Condition(state.get(), &State::HasWorkOrStopping),
                                 state->idle_timeout);
      --state->idle;
      if (state->handed.empty()) {
        --state->alive;
        return;
      }
      work = std::move(state->handed.front());
      state->handed.pop_front();
    }
  }
};

CallThreads::CallThreads(std::chrono::milliseconds idle_timeout)
    : state_(std::make_shared<State>()) {
  state_->idle_timeout = absl::FromChrono(idle_timeout);
}

CallThreads::~CallThreads() {
  absl::MutexLock lock(&state_->mu);
  state_->stopping = true;
  state_->mu.Await(absl::Condition(
      +[](State* state) ABSL_NO_THREAD_SAFETY_ANALYSIS { return state->alive == 0; },
      state_.get()));
}

void CallThreads::Run(std::function<void()> work) {
  {
    absl::MutexLock lock(&state_->mu);
    if (state_->idle > static_cast<int>(state_->handed.size())) {
      state_->handed.push_back(std::move(work));
      return;
    }
    ++state_->alive;
  }
  std::thread(&State::Serve, state_, std::move(work)).detach();
}

int CallThreads::threads() const {
  absl::MutexLock lock(&state_->mu);
  return state_->alive;
}

int CallThreads::idle_threads() const {
  absl::MutexLock lock(&state_->mu);
  return state_->idle;
}

}  // namespace cascade
