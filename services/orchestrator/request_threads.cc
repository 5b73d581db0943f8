#include "services/orchestrator/request_threads.h"

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace cascade::orchestrator {

struct RequestThreads::State {
  absl::Mutex mu;
  int running ABSL_GUARDED_BY(mu) = 0;
};

RequestThreads::RequestThreads() : state_(std::make_shared<State>()) {}

RequestThreads::~RequestThreads() {
  absl::MutexLock lock(&state_->mu);
  state_->mu.Await(absl::Condition(
      +[](int* running) { return *running == 0; }, &state_->running));
}

void RequestThreads::Run(std::function<void()> work) {
  {
    absl::MutexLock lock(&state_->mu);
    ++state_->running;
  }
  // Shared state: the last thread may still be unlocking after the destructor stops waiting.
  std::thread([state = state_, work = std::move(work)] {
    work();
    absl::MutexLock lock(&state->mu);
    --state->running;
  }).detach();
}

}  // namespace cascade::orchestrator
