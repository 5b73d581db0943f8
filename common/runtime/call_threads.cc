#include "common/runtime/call_threads.h"

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace cascade {

struct CallThreads::State {
  absl::Mutex mu;
  int running ABSL_GUARDED_BY(mu) = 0;
};

CallThreads::CallThreads() : state_(std::make_shared<State>()) {}

CallThreads::~CallThreads() {
  absl::MutexLock lock(&state_->mu);
  state_->mu.Await(absl::Condition(
      +[](int* running) { return *running == 0; }, &state_->running));
}

void CallThreads::Run(std::function<void()> work) {
  {
    absl::MutexLock lock(&state_->mu);
    ++state_->running;
  }
  std::thread([state = state_, work = std::move(work)] {
    work();
    absl::MutexLock lock(&state->mu);
    --state->running;
  }).detach();
}

}  // namespace cascade
