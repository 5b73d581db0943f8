#include "services/inference/generate_request.h"

#include <cmath>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/validation/chat_messages.h"
#include "services/inference/prompt_renderer.h"

namespace cascade::inference {
namespace {

using cascade::v1::Speculation;

absl::Status CheckParams(const cascade::v1::GenerationParams& params) {
  if (!std::isfinite(params.temperature()) || params.temperature() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "params.temperature must be a finite number >= 0, got ", params.temperature()));
  }
  if (!std::isfinite(params.top_p()) || params.top_p() < 0 || params.top_p() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("params.top_p must be in [0, 1], got ", params.top_p()));
  }
  if (params.top_k() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("params.top_k must be >= 0, got ", params.top_k()));
  }
  if (params.max_tokens() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "params.max_tokens must be >= 0 (0 = the server's default), got ", params.max_tokens()));
  }
  if (params.stop_size() > kMaxStopStrings) {
    return absl::InvalidArgumentError(absl::StrCat("params.stop has ", params.stop_size(),
                                                   " strings; the limit is ", kMaxStopStrings));
  }
  for (int i = 0; i < params.stop_size(); ++i) {
    if (params.stop(i).empty() || params.stop(i).size() > kMaxStopBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("params.stop[", i, "] must be 1 to ", kMaxStopBytes, " bytes long"));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplySpeculation(const Speculation& requested, const LoadedModel& model,
                              const ModelRegistry& registry, PreparedRequest& out) {
  Speculation speculation = model.default_speculation;
  if (requested.mode() != Speculation::MODE_UNSPECIFIED && requested.mode() != Speculation::AUTO) {
    speculation.set_mode(requested.mode());
  }
  if (!requested.draft_model().empty()) speculation.set_draft_model(requested.draft_model());
  if (requested.max_draft_tokens() != 0) {
    speculation.set_max_draft_tokens(requested.max_draft_tokens());
  }
  if (requested.ngram_size() != 0) speculation.set_ngram_size(requested.ngram_size());

  engine::SpeculationOptions& options = out.options.speculation;
  if (speculation.max_draft_tokens() != 0) {
    options.max_draft_tokens = speculation.max_draft_tokens();
  }
  if (speculation.ngram_size() != 0) options.ngram_size = speculation.ngram_size();
  switch (speculation.mode()) {
    case Speculation::MODE_UNSPECIFIED:
    case Speculation::AUTO:  // resolved at load; never left in default_speculation
    case Speculation::NONE:
      options.mode = engine::SpeculationOptions::Mode::kNone;
      return absl::OkStatus();
    case Speculation::NGRAM:
      options.mode = engine::SpeculationOptions::Mode::kNgram;
      out.drafter = "ngram";
      return absl::OkStatus();
    case Speculation::DRAFT_MODEL: {
      if (speculation.draft_model().empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "speculation.mode DRAFT_MODEL needs speculation.draft_model: model '",
            model.config.name(), "' has no default draft (loaded: ", registry.Names(), ")"));
      }
      const LoadedModel* draft = registry.Find(speculation.draft_model());
      if (draft == nullptr) {
        return absl::NotFoundError(
            absl::StrCat("speculation.draft_model '", speculation.draft_model(),
                         "' is not loaded (loaded: ", registry.Names(), ")"));
      }
      options.mode = engine::SpeculationOptions::Mode::kDraftModel;
      options.draft_model = draft->worker->shared_model();
      out.drafter = "draft_model";
      return absl::OkStatus();
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("speculation.mode ", static_cast<int>(speculation.mode()), " is unknown"));
  }
}

}  // namespace

absl::StatusOr<PreparedRequest> PrepareGenerate(const cascade::v1::GenerateRequest& request,
                                                const ModelRegistry& registry,
                                                const ServerLimits& limits) {
  PreparedRequest out;
  out.model = registry.Find(request.model());
  if (out.model == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("unknown model '", request.model(), "' (loaded: ", registry.Names(), ")"));
  }
  const auto& params = request.params();
  if (auto status = CheckParams(params); !status.ok()) return status;

  absl::StatusOr<std::vector<int>> tokens;
  switch (request.input_case()) {
    case cascade::v1::GenerateRequest::kPrompt:
      if (request.prompt().empty()) return absl::InvalidArgumentError("prompt is empty");
      tokens = out.model->worker->model().tokenizer().Encode(request.prompt(), /*add_bos=*/true);
      break;
    case cascade::v1::GenerateRequest::kMessages: {
      if (auto valid = ValidateChatMessages(request.messages().messages()); !valid.ok()) {
        return valid;
      }
      for (int i = 0; i < request.messages().messages_size(); ++i) {
        const auto& message = request.messages().messages(i);
        if (message.role() == "tool" || message.tool_calls_size() > 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "messages[", i, "]: the inference service takes no tool calls or tool messages"));
        }
        if (message.parts_size() > 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "messages[", i, "].parts: the inference service serves text models (no images)"));
        }
      }
      tokens = RenderChatPrompt(request.messages(), out.model->chat_template,
                                out.model->worker->model().tokenizer());
      break;
    }
    default:
      return absl::InvalidArgumentError("set either prompt or messages");
  }
  if (!tokens.ok()) return tokens.status();  // Invalid UTF-8, named by the tokenizer.
  const int context = out.model->worker->context_length();
  const int prompt_limit =
      limits.max_prompt_tokens > 0 ? std::min(limits.max_prompt_tokens, context) : context;
  const int prompt_tokens = static_cast<int>(tokens->size());
  if (prompt_tokens > prompt_limit) {
    return absl::InvalidArgumentError(absl::StrCat("the prompt is ", prompt_tokens,
                                                   " tokens; the limit is ", prompt_limit,
                                                   " (the context length is ", context, ")"));
  }
  if (params.max_tokens() > limits.max_tokens_limit) {
    return absl::InvalidArgumentError(absl::StrCat("params.max_tokens ", params.max_tokens(),
                                                   " is over this server's limit of ",
                                                   limits.max_tokens_limit));
  }
  int room = context - prompt_tokens;
  int max_tokens = params.max_tokens();
  if (max_tokens == 0) max_tokens = std::min(limits.default_max_tokens, room);
  if (max_tokens > room) {
    return absl::InvalidArgumentError(
        absl::StrCat("params.max_tokens ", max_tokens, " does not fit: the prompt's ",
                     prompt_tokens, " tokens leave ", room, " of the context length of ", context));
  }
  if (max_tokens < 1) {
    return absl::InvalidArgumentError(absl::StrCat("the prompt's ", prompt_tokens,
                                                   " tokens fill the context length of ", context));
  }
  if (params.top_logprobs() < 0 || params.top_logprobs() > engine::kMaxTopLogprobs) {
    return absl::InvalidArgumentError(absl::StrCat("params.top_logprobs must be 0 to ",
                                                   engine::kMaxTopLogprobs, ", got ",
                                                   params.top_logprobs()));
  }

  engine::GenerateOptions& options = out.options;
  options.prompt = *std::move(tokens);
  options.max_tokens = max_tokens;
  options.sampling.temperature = params.temperature();
  options.sampling.top_k = params.top_k();
  options.sampling.top_p = params.top_p() == 0 ? 1.0f : params.top_p();
  options.sampling.seed = params.has_seed() ? params.seed() : std::random_device{}();
  options.logprobs = params.logprobs() || params.top_logprobs() > 0;
  options.top_logprobs = params.top_logprobs();
  out.stop.assign(params.stop().begin(), params.stop().end());
  if (auto status = ApplySpeculation(request.speculation(), *out.model, registry, out);
      !status.ok()) {
    return status;
  }
  return out;
}

}  // namespace cascade::inference
