#include "services/tier_worker/self_check.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/validation/chat_messages.h"
#include "services/judge/lib/llm_verdict.h"
#include "services/tier_worker/cost.h"

namespace cascade::tier_worker {

using cascade::v1::CompleteRequest;
using cascade::v1::CompleteResponse;

namespace {

// The alternatives OpenAI-compatible APIs allow at most.
constexpr int kTopLogprobs = 20;

const std::string& PromptOf(const SelfCheckOptions& options) {
  static const std::string kDefault = judge::kDefaultJudgePrompt;
  return options.prompt.empty() ? kDefault : options.prompt;
}

}  // namespace

absl::Status ValidateSelfCheckOptions(const SelfCheckOptions& options) {
  auto rendered = judge::RenderJudgePrompt(PromptOf(options), "", "");
  if (!rendered.ok()) {
    return absl::InvalidArgumentError(
        "self_check.prompt lacks {answer}: the model must see the answer it checks");
  }
  return absl::OkStatus();
}

SelfChecker::SelfChecker(SelfCheckOptions options, Backend* backend, ModelPrice price)
    : options_(std::move(options)), backend_(backend), price_(price) {}

absl::StatusOr<CompleteRequest> SelfChecker::CheckRequest(const CompleteRequest& request,
                                                          const CompleteResponse& answer) const {
  auto prompt = judge::RenderJudgePrompt(PromptOf(options_), LastUserMessage(request.messages()),
                                         answer.text());
  if (!prompt.ok()) return prompt.status();
  CompleteRequest check;
  auto* message = check.add_messages();
  message->set_role("user");
  message->set_content(*std::move(prompt));
  check.mutable_params()->set_max_tokens(1);
  check.mutable_params()->set_temperature(0);
  if (backend_->info().supports_logprobs) {
    check.mutable_params()->set_logprobs(true);
    check.mutable_params()->set_top_logprobs(kTopLogprobs);
  }
  return check;
}

cascade::v1::SelfCheck SelfChecker::Check(const CompleteRequest& request,
                                          const CompleteResponse& answer,
                                          const CallContext& context) const {
  const absl::Time start = absl::Now();
  absl::StatusOr<cascade::v1::SelfCheck> check = backend_->ReplaysSelfChecks()
                                                     ? backend_->RecordedSelfCheck(request)
                                                     : AskModel(request, answer, context);
  if (!check.ok()) {
    cascade::v1::SelfCheck failed;
    failed.set_error(check.status().ToString());
    failed.set_latency_seconds(absl::ToDoubleSeconds(absl::Now() - start));
    return failed;
  }
  auto cost = CostPicoUsd(check->usage(), price_);
  if (!cost.ok()) {
    check->set_error(
        absl::StrCat("cannot price the self-check's usage: ", cost.status().message()));
  } else {
    check->set_cost_pusd(*cost);
  }
  check->set_latency_seconds(absl::ToDoubleSeconds(absl::Now() - start));
  return *std::move(check);
}

absl::StatusOr<cascade::v1::SelfCheck> SelfChecker::AskModel(const CompleteRequest& request,
                                                             const CompleteResponse& answer,
                                                             const CallContext& context) const {
  auto check_request = CheckRequest(request, answer);
  if (!check_request.ok()) return check_request.status();
  auto reply = backend_->Complete(*check_request, context, /*sink=*/nullptr);
  if (!reply.ok()) return reply.status();
  const cascade::v1::TokenLogprob* first =
      reply->logprobs_size() > 0 ? &reply->logprobs(0) : nullptr;
  auto verdict = judge::ReadVerdict(reply->text(), first, judge::VerdictWords{});
  cascade::v1::SelfCheck check;
  *check.mutable_usage() = reply->usage();
  if (!verdict.ok()) {
    // Its tokens were spent all the same: report them with the error.
    check.set_error(verdict.status().ToString());
    return check;
  }
  check.set_p_yes(verdict->score);
  check.set_source(verdict->path);
  return check;
}

}  // namespace cascade::tier_worker
