#include "services/inference/model_registry.h"

#include <optional>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log/logger.h"
#include "services/inference/engine/draft_model_drafter.h"
#include "services/inference/engine/speculation_choice.h"

namespace cascade::inference {
namespace {

constexpr int kDefaultMaxQueue = 64;

// The config's template, else the family of the file's own, else plain; with where it comes
// from (ModelInfo.chat_template_source).
absl::StatusOr<std::pair<engine::ChatTemplate, std::string>> ResolveChatTemplate(
    const cascade::v1::InferenceModelConfig& config, const engine::Tokenizer& tokenizer) {
  if (!config.chat_template().empty() && config.chat_template() != "auto") {
    auto named = engine::ChatTemplate::FromName(config.chat_template());
    if (!named.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("chat_template: ", named.status().message(), ", or auto"));
    }
    return std::pair{*named, std::string("config")};
  }
  const std::string& source = tokenizer.chat_template_source();
  if (source.empty()) {
    return std::pair{engine::ChatTemplate::Plain(),
                     std::string("fallback: the file has no tokenizer.chat_template")};
  }
  if (auto recognized = engine::ChatTemplate::Recognize(source)) {
    return std::pair{*recognized, std::string("file")};
  }
  return std::pair{engine::ChatTemplate::Plain(),
                   absl::StrCat("fallback: the file's chat template is none of the families "
                                "we render (",
                                engine::ChatTemplate::Names(),
                                "); set chat_template in the model's config to choose one")};
}

int Threads(const cascade::v1::InferenceModelConfig& config) {
  return config.threads() > 0 ? config.threads()
                              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

struct BatchSpeculation {
  cascade::v1::Speculation::Mode mode;
  int draft_step_tokens;
};

// default_speculation AUTO with max_sequences > 1: whether n-gram drafts pay in a batch, and up
// to how many tokens a step may hold with them, from how this model's pass cost grows with its
// tokens on this machine (engine/speculation_choice.h), logged with the numbers behind it.
absl::StatusOr<BatchSpeculation> ResolveAutoBatchSpeculation(
    const cascade::v1::InferenceModelConfig& config, std::shared_ptr<const engine::Model> model,
    int threads) {
  auto curve = engine::MeasurePassCurve(std::move(model), threads);
  if (!curve.ok()) return curve.status();
  const engine::BatchSpeculationChoice choice = engine::ChooseBatchSpeculation(*curve);
  const bool ngram = choice.mode == engine::SpeculationOptions::Mode::kNgram;
  LogInfo("speculation_chosen", {{"model", config.name()},
                                 {"mode", ngram ? "NGRAM" : "NONE"},
                                 {"step_ms", curve->seconds.front() * 1e3},
                                 {"draft_step_tokens", choice.draft_step_tokens},
                                 {"reason", choice.reason}});
  return BatchSpeculation{ngram ? cascade::v1::Speculation::NGRAM : cascade::v1::Speculation::NONE,
                          choice.draft_step_tokens};
}

// default_speculation AUTO: what the measured costs of this model (and its draft) on this
// machine say pays (engine/speculation_choice.h), logged with the numbers behind it.
absl::StatusOr<cascade::v1::Speculation> ResolveAutoSpeculation(const LoadedModel& loaded,
                                                                const ModelRegistry& registry) {
  cascade::v1::Speculation speculation = loaded.config.default_speculation();
  const std::string& name = loaded.config.name();
  const int k = speculation.max_draft_tokens() > 0 ? speculation.max_draft_tokens()
                                                   : engine::SpeculationOptions().max_draft_tokens;
  auto device = engine::ParseDevice(loaded.config.device());
  if (!device.ok()) return device.status();
  auto target =
      engine::MeasurePassCosts(loaded.worker->shared_model(), *device, Threads(loaded.config), k);
  if (!target.ok()) return target.status();
  std::optional<engine::PassCosts> draft;
  if (!speculation.draft_model().empty()) {
    const LoadedModel* draft_model = registry.Find(speculation.draft_model());
    auto costs = engine::MeasurePassCosts(draft_model->worker->shared_model(), engine::Device::kCpu,
                                          Threads(loaded.config), k);
    if (!costs.ok()) return costs.status();
    draft = *costs;
  }
  const engine::SpeculationChoice choice =
      engine::ChooseSpeculation(*target, draft ? &*draft : nullptr);
  using Mode = engine::SpeculationOptions::Mode;
  speculation.set_mode(choice.mode == Mode::kDraftModel ? cascade::v1::Speculation::DRAFT_MODEL
                       : choice.mode == Mode::kNgram    ? cascade::v1::Speculation::NGRAM
                                                        : cascade::v1::Speculation::NONE);
  LogInfo("speculation_chosen", {{"model", name},
                                 {"mode", cascade::v1::Speculation::Mode_Name(speculation.mode())},
                                 {"step_ms", target->step_seconds * 1e3},
                                 {"verify_ratio", choice.verify_ratio},
                                 {"draft_ratio", choice.draft_ratio},
                                 {"reason", choice.reason}});
  return speculation;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ModelRegistry>> ModelRegistry::Load(
    const cascade::v1::InferenceConfig& config, std::shared_ptr<InferenceMetrics> metrics) {
  auto registry = std::make_unique<ModelRegistry>();
  for (int i = 0; i < config.models_size(); ++i) {
    const auto& model_config = config.models(i);
    std::string where = absl::StrCat("models[", i, "] '", model_config.name(), "'");
    if (registry->models_.count(model_config.name()) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(where, ": the name is used twice"));
    }
    auto device = engine::ParseDevice(model_config.device());
    if (!device.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(where, ": ", device.status().message()));
    }
    if (model_config.threads() < 0 || model_config.max_queue() < 0 ||
        model_config.max_sequences() < 0 || model_config.context_length() < 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          where, ": threads, max_queue, max_sequences and context_length must be >= 0"));
    }
    const int max_sequences = std::max(1, model_config.max_sequences());
    if (max_sequences > 1 &&
        model_config.default_speculation().mode() == cascade::v1::Speculation::DRAFT_MODEL) {
      return absl::FailedPreconditionError(absl::StrCat(
          where,
          ": default_speculation DRAFT_MODEL and max_sequences > 1 do not go together (a batch "
          "speculates with n-gram lookup only); choose NGRAM, AUTO or NONE, or max_sequences 1"));
    }
    // The CPU kernels' packed copies would only cost memory for a model the GPU serves.
    auto model =
        engine::Model::Load(model_config.path(), {.pack_for_cpu = *device == engine::Device::kCpu});
    if (!model.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          where, ": cannot load ", model_config.path(), ": ", model.status().message()));
    }
    // device: cuda needs a CUDA build and a visible GPU; say which is missing now rather than at
    // the first request.
    if (auto status = engine::CheckDevice(*device, **model); !status.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(where, ": ", status.message()));
    }
    const int threads = Threads(model_config);
    ModelWorkerOptions options;
    options.threads = threads;
    options.device = *device;
    options.max_queue = model_config.max_queue() > 0 ? model_config.max_queue() : kDefaultMaxQueue;
    options.max_sequences = max_sequences;
    if (model_config.context_length() > (*model)->config().context_length) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": context_length ", model_config.context_length(),
                       " is more than the model's ", (*model)->config().context_length));
    }
    options.context_length = model_config.context_length();
    cascade::v1::Speculation default_speculation = model_config.default_speculation();
    // (A batch runs on the CPU only: ModelWorker::Create refuses the rest below, unmeasured.)
    if (max_sequences > 1 && default_speculation.mode() == cascade::v1::Speculation::AUTO &&
        *device == engine::Device::kCpu) {
      auto chosen = ResolveAutoBatchSpeculation(model_config, *model, threads);
      if (!chosen.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(
            where, ": cannot measure what speculation costs: ", chosen.status().message()));
      }
      default_speculation.set_mode(chosen->mode);
      options.draft_step_tokens = chosen->draft_step_tokens;
    }
    if (metrics != nullptr) {
      const std::string& name = model_config.name();
      options.on_queue_depth = [metrics, name](int depth) { metrics->SetQueueDepth(name, depth); };
      options.on_queue_wait = [metrics, name](double seconds) {
        metrics->RecordQueueWait(name, seconds);
      };
      options.on_batch_step = [metrics, name](const BatchStep& step) {
        metrics->RecordBatchStep(name, step);
      };
    }
    auto chat_template = ResolveChatTemplate(model_config, (*model)->tokenizer());
    if (!chat_template.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": ", chat_template.status().message()));
    }
    auto worker = ModelWorker::Create(model_config.name(), *model, std::move(options));
    if (!worker.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(where, ": ", worker.status().message()));
    }
    LoadedModel loaded{model_config, *std::move(worker), chat_template->first,
                       chat_template->second, default_speculation};
    if (absl::StartsWith(loaded.chat_template_source, "fallback")) {
      LogWarn("chat_template_fallback", {{"model", model_config.name()},
                                         {"chat_template", "plain"},
                                         {"reason", loaded.chat_template_source}});
    }
    LogInfo("model_loaded",
            {{"model", model_config.name()},
             {"path", model_config.path()},
             {"config", (*model)->config().ToString()},
             {"threads", threads},
             {"max_sequences", max_sequences},
             {"context_length", loaded.worker->context_length()},
             {"kv_cache_mib", loaded.worker->kv_cache_bytes() >> 20},
             {"device", std::string(engine::DeviceName(*device))},
             {"kernels", *device == engine::Device::kCpu ? std::string(engine::BestKernels().name)
                                                         : std::string("cuda")},
             {"weights", engine::DescribeWeightsOn(*device, **model)},
             {"packed_weights_mib", (*model)->packed_bytes() >> 20},
             {"tokenizer", (*model)->tokenizer().Describe()},
             {"chat_template", std::string(loaded.chat_template.name())}});
    registry->models_.emplace(model_config.name(), std::move(loaded));
  }
  // Default draft models must exist and share the target's vocabulary.
  for (const auto& [name, loaded] : registry->models_) {
    const std::string& draft = loaded.config.default_speculation().draft_model();
    if (draft.empty()) continue;
    const LoadedModel* draft_model = registry->Find(draft);
    if (draft_model == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("model '", name, "': default_speculation.draft_model '", draft,
                       "' is not a loaded model (loaded: ", registry->Names(), ")"));
    }
    auto same = engine::CheckSameVocabulary(draft_model->worker->model(), loaded.worker->model());
    if (!same.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("model '", name, "': ", same.message()));
    }
  }
  for (auto& [name, loaded] : registry->models_) {
    if (loaded.default_speculation.mode() != cascade::v1::Speculation::AUTO) continue;
    auto resolved = ResolveAutoSpeculation(loaded, *registry);
    if (!resolved.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("model '", name,
                       "': cannot measure what speculation costs: ", resolved.status().message()));
    }
    loaded.default_speculation = *resolved;
  }
  return registry;
}

const LoadedModel* ModelRegistry::Find(const std::string& name) const {
  auto it = models_.find(name);
  return it == models_.end() ? nullptr : &it->second;
}

std::vector<const LoadedModel*> ModelRegistry::models() const {
  std::vector<const LoadedModel*> result;
  for (const auto& [name, loaded] : models_) result.push_back(&loaded);
  return result;
}

std::string ModelRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, loaded] : models_) names.push_back(name);
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

}  // namespace cascade::inference
