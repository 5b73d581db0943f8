#include "services/tier_worker/unconfigured_service.h"

namespace cascade::tier_worker {
namespace {

const grpc::Status& NoBackend() {
  static const grpc::Status* status = new grpc::Status(
      grpc::StatusCode::UNIMPLEMENTED,
      "this tier worker has no backend: set 'openai' or 'inference' in its config");
  return *status;
}

class RefusedStream final : public grpc::ServerWriteReactor<cascade::v1::CompleteChunk> {
 public:
  RefusedStream() { Finish(NoBackend()); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerUnaryReactor* UnconfiguredTierWorkerService::Complete(
    grpc::CallbackServerContext* context, const cascade::v1::CompleteRequest*,
    cascade::v1::CompleteResponse*) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(NoBackend());
  return reactor;
}

grpc::ServerWriteReactor<cascade::v1::CompleteChunk>* UnconfiguredTierWorkerService::StreamComplete(
    grpc::CallbackServerContext*, const cascade::v1::CompleteRequest*) {
  return new RefusedStream();
}

grpc::ServerUnaryReactor* UnconfiguredTierWorkerService::Describe(
    grpc::CallbackServerContext* context, const cascade::v1::DescribeRequest*,
    cascade::v1::DescribeResponse*) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(NoBackend());
  return reactor;
}

}  // namespace cascade::tier_worker
