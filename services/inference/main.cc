// cascade-inference: Inference: Llama-architecture GGUF models on CPU or CUDA with speculative
// decoding.

#include "cascade/v1/inference.grpc.pb.h"
#include "common/runtime/service_main.h"

int main(int argc, char** argv) {
  return cascade::ServiceMain<cascade::v1::InferenceConfig>(
      argc, argv, "inference",
      {.binary = "cascade-inference",
       .summary =
           "Inference: Llama-architecture GGUF models on CPU or CUDA with speculative decoding.",
       .has_http_listen = false,
       .config_type = ""},
      [](const cascade::v1::InferenceConfig&,
         const cascade::ServiceEnvironment&) -> absl::StatusOr<cascade::ServiceParts> {
        cascade::ServiceParts parts;
        // Not built yet: every method answers UNIMPLEMENTED.
        parts.services.push_back(
            std::make_unique<cascade::v1::InferenceService::CallbackService>());
        return parts;
      });
}
