// cascade-inference: our engine for Llama-architecture GGUF models behind
// cascade.v1.InferenceService, with speculative decoding.

#include "common/grpc_runtime/service_main.h"
#include "services/inference/inference_service.h"

namespace {

absl::StatusOr<cascade::ServiceParts> Build(const cascade::v1::InferenceConfig& config,
                                            const cascade::ServiceEnvironment& env) {
  auto metrics = std::make_shared<cascade::inference::InferenceMetrics>(*env.registry);
  auto registry = cascade::inference::ModelRegistry::Load(config, metrics);
  if (!registry.ok()) return registry.status();
  cascade::inference::ServerLimits limits;
  if (config.max_tokens_limit() > 0) limits.max_tokens_limit = config.max_tokens_limit();
  if (config.max_prompt_tokens() > 0) limits.max_prompt_tokens = config.max_prompt_tokens();
  std::shared_ptr<cascade::inference::ModelRegistry> shared_registry = *std::move(registry);
  cascade::ServiceParts parts;
  parts.services.push_back(
      std::make_unique<cascade::inference::InferenceServiceImpl>(shared_registry, metrics, limits));
  parts.keep_alive.push_back(shared_registry);
  return parts;
}

}  // namespace

int main(int argc, char** argv) {
  return cascade::ServiceMain<cascade::v1::InferenceConfig>(
      argc, argv, "inference",
      {.binary = "cascade-inference",
       .summary =
           "Inference: Llama-architecture GGUF models (F32, F16, Q8_0, Q4_0) on the CPU\n"
           "behind cascade.v1.InferenceService, with speculative decoding by a draft\n"
           "model or n-gram lookup. Models are named in the config (models: [{name,\n"
           "path, threads, default_speculation, max_queue, max_sequences}]); max_sequences > 1\n"
           "decodes that many requests together (continuous batching, with n-gram\n"
           "speculation inside the batch).",
       .has_http_listen = false,
       .config_type = ""},
      Build);
}
