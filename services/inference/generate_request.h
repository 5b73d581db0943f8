#pragma once

// Checks a GenerateRequest against the model and the server's limits and turns it into
// the engine's options. Every refusal is INVALID_ARGUMENT (or NOT_FOUND for a model name)
// with the limit named, so a client knows what to change.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cascade/v1/inference.pb.h"
#include "services/inference/engine/engine.h"
#include "services/inference/model_registry.h"

namespace cascade::inference {

struct ServerLimits {
  int max_tokens_limit = 4096;   // Largest max_tokens a request may ask for.
  int max_prompt_tokens = 0;     // 0: the model's context length.
  int default_max_tokens = 256;  // When the request says 0.
};

inline constexpr int kMaxStopStrings = 4;
inline constexpr int kMaxStopBytes = 64;

struct PreparedRequest {
  const LoadedModel* model = nullptr;
  engine::GenerateOptions options;
  std::vector<std::string> stop;
  std::string drafter;  // "draft_model", "ngram" or "" (the metrics label).
};

absl::StatusOr<PreparedRequest> PrepareGenerate(const cascade::v1::GenerateRequest& request,
                                                const ModelRegistry& registry,
                                                const ServerLimits& limits);

}  // namespace cascade::inference
