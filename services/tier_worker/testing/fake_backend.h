#pragma once

// A scripted Backend for tests of TierWorker and its gRPC adapter.

#include <functional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/tier_worker/backend.h"

namespace cascade::tier_worker::testing {

class FakeBackend final : public Backend {
 public:
  explicit FakeBackend(BackendInfo info = {"openai", "fake-model", true})
      : info_(std::move(info)) {}

  const BackendInfo& info() const override { return info_; }

  // What Complete does; by default answers `response`, streaming `deltas` to a sink.
  std::function<absl::StatusOr<cascade::v1::CompleteResponse>(const cascade::v1::CompleteRequest&,
                                                              const CallContext&, DeltaSink*)>
      handler;
  cascade::v1::CompleteResponse response;
  std::vector<cascade::v1::CompleteChunk> deltas;

  absl::StatusOr<cascade::v1::CompleteResponse> Complete(
      const cascade::v1::CompleteRequest& request, const CallContext& context,
      DeltaSink* sink) override {
    {
      absl::MutexLock lock(&mu_);
      ++calls_;
    }
    if (handler) return handler(request, context, sink);
    if (sink != nullptr) {
      for (const auto& delta : deltas) {
        if (!sink->OnDelta(delta)) return absl::CancelledError("sink refused");
      }
    }
    return response;
  }

  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  BackendInfo info_;
  absl::Mutex mu_;
  int calls_ = 0;
};

}  // namespace cascade::tier_worker::testing
