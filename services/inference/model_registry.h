#pragma once

// The models an inference server has loaded, by name, each with its worker. Built once
// from the config: every path is loaded and checked (a broken file, a duplicate name or
// a draft model with another vocabulary stops the server at start, not at the first
// request).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cascade/v1/config.pb.h"
#include "services/inference/engine/chat_template.h"
#include "services/inference/inference_metrics.h"
#include "services/inference/model_worker.h"

namespace cascade::inference {

struct LoadedModel {
  cascade::v1::InferenceModelConfig config;
  std::unique_ptr<ModelWorker> worker;
  // How its chat messages are rendered, and why (cascade.v1.ModelInfo.chat_template_source).
  engine::ChatTemplate chat_template = engine::ChatTemplate::Plain();
  std::string chat_template_source;
  // config.default_speculation with AUTO resolved at load to what pays on this machine.
  cascade::v1::Speculation default_speculation;
};

class ModelRegistry {
 public:
  // `metrics` (may be null) gets each model's queue and batch series.
  static absl::StatusOr<std::unique_ptr<ModelRegistry>> Load(
      const cascade::v1::InferenceConfig& config, std::shared_ptr<InferenceMetrics> metrics);

  // nullptr when no model has that name.
  const LoadedModel* Find(const std::string& name) const;
  std::vector<const LoadedModel*> models() const;
  // The names, for messages such as "unknown model 'x' (loaded: a, b)".
  std::string Names() const;

 private:
  std::map<std::string, LoadedModel> models_;
};

}  // namespace cascade::inference
