#pragma once

// cascade.v1.InferenceService over gRPC: a thin adapter that turns requests into jobs for
// the model workers and streams their tokens back.

#include <memory>

#include "cascade/v1/inference.grpc.pb.h"
#include "services/inference/generate_request.h"
#include "services/inference/inference_metrics.h"
#include "services/inference/model_registry.h"

namespace cascade::inference {

class InferenceServiceImpl final : public cascade::v1::InferenceService::CallbackService {
 public:
  InferenceServiceImpl(std::shared_ptr<ModelRegistry> registry,
                       std::shared_ptr<InferenceMetrics> metrics, ServerLimits limits);

  grpc::ServerWriteReactor<cascade::v1::GenerateChunk>* Generate(
      grpc::CallbackServerContext* context, const cascade::v1::GenerateRequest* request) override;
  grpc::ServerUnaryReactor* Tokenize(grpc::CallbackServerContext* context,
                                     const cascade::v1::TokenizeRequest* request,
                                     cascade::v1::TokenizeResponse* response) override;
  grpc::ServerUnaryReactor* ListModels(grpc::CallbackServerContext* context,
                                       const cascade::v1::ListModelsRequest* request,
                                       cascade::v1::ListModelsResponse* response) override;

 private:
  std::shared_ptr<ModelRegistry> registry_;
  std::shared_ptr<InferenceMetrics> metrics_;
  ServerLimits limits_;
};

}  // namespace cascade::inference
