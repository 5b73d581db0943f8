#pragma once

// cascade.v1.TierWorker when the config names no backend: the server still starts (health,
// metrics, drain, for probes and deployment checks) and every method answers
// UNIMPLEMENTED, saying what the config lacks.

#include "cascade/v1/tier.grpc.pb.h"

namespace cascade::tier_worker {

class UnconfiguredTierWorkerService final : public cascade::v1::TierWorker::CallbackService {
 public:
  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext* context,
                                     const cascade::v1::CompleteRequest* request,
                                     cascade::v1::CompleteResponse* response) override;
  grpc::ServerWriteReactor<cascade::v1::CompleteChunk>* StreamComplete(
      grpc::CallbackServerContext* context, const cascade::v1::CompleteRequest* request) override;
  grpc::ServerUnaryReactor* Describe(grpc::CallbackServerContext* context,
                                     const cascade::v1::DescribeRequest* request,
                                     cascade::v1::DescribeResponse* response) override;
};

}  // namespace cascade::tier_worker
