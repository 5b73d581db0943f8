#pragma once

// A backend for our own InferenceService (cascade-inference) over gRPC: the request's
// speculation settings (or the tier's) pass through, the deadline and request id travel
// with the call, cancellation cancels it, and UNAVAILABLE / RESOURCE_EXHAUSTED are
// retried like an HTTP upstream's 5xx / 429 until something was passed on.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "cascade/v1/inference.grpc.pb.h"
#include "common/http/clock.h"
#include "common/http/random_source.h"
#include "common/http/retry_policy.h"
#include "services/tier_worker/backend.h"

namespace cascade::tier_worker {

struct InferenceBackendOptions {
  std::shared_ptr<grpc::ChannelInterface> channel;
  // The model's name on the inference service.
  std::string model;
  // Used when a request leaves speculation unspecified.
  cascade::v1::Speculation default_speculation;
  http::RetryOptions retry;
  http::Clock* clock = http::RealClock();
  http::RandomSource* random = http::SystemRandom();
};

class InferenceBackend final : public Backend {
 public:
  explicit InferenceBackend(InferenceBackendOptions options);

  const BackendInfo& info() const override { return info_; }
  absl::StatusOr<cascade::v1::CompleteResponse> Complete(
      const cascade::v1::CompleteRequest& request, const CallContext& context,
      DeltaSink* sink) override;

 private:
  struct Attempt {
    absl::Status status;
    cascade::v1::CompleteResponse response;
    bool delivered = false;
  };
  Attempt TryOnce(const cascade::v1::GenerateRequest& request, const CallContext& context,
                  DeltaSink* sink);

  InferenceBackendOptions options_;
  BackendInfo info_;
  http::RetryPolicy retry_policy_;
  std::unique_ptr<cascade::v1::InferenceService::Stub> stub_;
};

}  // namespace cascade::tier_worker
