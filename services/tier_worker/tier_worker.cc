#include "services/tier_worker/tier_worker.h"

#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/logger.h"
#include "common/validation/chat_messages.h"
#include "services/tier_worker/cost.h"

namespace cascade::tier_worker {

using cascade::v1::CompleteRequest;
using cascade::v1::CompleteResponse;

TierWorker::TierWorker(TierWorkerOptions options, std::unique_ptr<Backend> backend,
                       prometheus::Registry* registry)
    : options_(std::move(options)),
      backend_(std::move(backend)),
      self_checker_(options_.self_check, backend_.get(), options_.price),
      limiter_(options_.max_concurrency),
      metrics_(registry, options_.tier, backend_->info().model) {}

absl::StatusOr<CompleteResponse> TierWorker::Complete(const CompleteRequest& request,
                                                      const CallContext& context, DeltaSink* sink) {
  absl::Time start = absl::Now();
  absl::StatusOr<CompleteResponse> result = CallBackend(request, context, sink);
  metrics_.RecordOutcome(result.status());
  nlohmann::json fields = {{"request_id", context.request_id},
                           {"tier", options_.tier},
                           {"model", backend_->info().model},
                           {"stream", sink != nullptr},
                           {"outcome", TierMetrics::OutcomeLabel(result.status())},
                           {"duration_ms", absl::ToDoubleMilliseconds(absl::Now() - start)}};
  if (!result.ok()) {
    fields["error"] = std::string(result.status().message());
    LogWarn("tier_call_failed", fields);
    return result;
  }
  fields["prompt_tokens"] = result->usage().prompt_tokens();
  fields["completion_tokens"] = result->usage().completion_tokens();
  fields["cost_pusd"] = result->cost_pusd();
  if (result->has_self_check()) fields["self_check_p_yes"] = result->self_check().p_yes();
  fields["upstream_model"] = result->upstream_model();
  LogInfo("tier_call", fields);
  return result;
}

absl::StatusOr<CompleteResponse> TierWorker::CallBackend(const CompleteRequest& request,
                                                         const CallContext& context,
                                                         DeltaSink* sink) {
  absl::Status valid = ValidateCompleteRequest(request, options_.limits);
  if (!valid.ok()) return valid;
  if (!backend_->info().supports_tools && UsesTools(request)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tier '", options_.tier, "' (backend ", backend_->info().backend,
                     ") does not take tools, tool calls or tool messages; its Describe says "
                     "supports_tools: false"));
  }
  if (!backend_->info().supports_images && HasImages(request.messages())) {
    return absl::InvalidArgumentError(
        absl::StrCat("tier '", options_.tier, "' (backend ", backend_->info().backend,
                     ") does not take images; its Describe says supports_images: false (an "
                     "OpenAI-compatible tier takes them with openai.supports_images: true)"));
  }
  auto permit = limiter_.TryAcquire();
  if (!permit.has_value()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("tier '", options_.tier, "' is at its limit of ", limiter_.max_in_flight(),
                     " calls at once (max_concurrency)"));
  }
  metrics_.in_flight().Increment();
  absl::Cleanup leave = [this] { metrics_.in_flight().Decrement(); };

  CallContext call = context;
  call.on_retry = [this, &context](http::RetryReason reason, absl::Duration backoff,
                                   const absl::Status& cause) {
    metrics_.RecordRetry(reason);
    LogInfo("upstream_retry", {{"request_id", context.request_id},
                               {"tier", options_.tier},
                               {"reason", std::string(http::RetryReasonLabel(reason))},
                               {"backoff_ms", absl::ToDoubleMilliseconds(backoff)},
                               {"cause", std::string(cause.message())}});
    if (context.on_retry) context.on_retry(reason, backoff, cause);
  };
  absl::Time start = absl::Now();
  absl::StatusOr<CompleteResponse> response = backend_->Complete(request, call, sink);
  double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  metrics_.RecordUpstreamSeconds(seconds);
  if (!response.ok()) return response.status();

  auto cost = CostPicoUsd(response->usage(), options_.price);
  if (!cost.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot price the upstream's usage: ", cost.status().message()));
  }
  response->set_cost_pusd(*cost);
  response->set_latency_seconds(seconds);
  response->set_tier(options_.tier);
  if (response->upstream_model().empty()) response->set_upstream_model(backend_->info().model);
  metrics_.RecordUsage(response->usage());
  metrics_.RecordCost(*cost);
  // A tool call is judged by the orchestrator's tool call check, not by asking the model
  // whether a call it just made is "accurate and complete": no second call for it.
  if (request.self_check() && response->tool_calls_size() == 0) {
    SelfCheck(request, context, *response);
  }
  return response;
}

void TierWorker::SelfCheck(const CompleteRequest& request, const CallContext& context,
                           CompleteResponse& response) {
  *response.mutable_self_check() = self_checker_.Check(request, response, context);
  const cascade::v1::SelfCheck& check = response.self_check();
  metrics_.RecordSelfCheck(check.error().empty());
  metrics_.RecordUsage(check.usage());
  metrics_.RecordCost(check.cost_pusd());
  response.set_cost_pusd(response.cost_pusd() + check.cost_pusd());
  if (!check.error().empty()) {
    // Degraded: the answer goes back without its self-check; a rule needing it rejects.
    LogWarn(
        "self_check_failed",
        {{"request_id", context.request_id}, {"tier", options_.tier}, {"error", check.error()}});
  }
}

cascade::v1::DescribeResponse TierWorker::Describe() const {
  cascade::v1::DescribeResponse description;
  description.set_tier(options_.tier);
  description.set_model(backend_->info().model);
  description.set_input_price_uusd_per_mtok(options_.price.input_uusd_per_mtok);
  description.set_output_price_uusd_per_mtok(options_.price.output_uusd_per_mtok);
  description.set_supports_logprobs(backend_->info().supports_logprobs);
  description.set_supports_tools(backend_->info().supports_tools);
  description.set_supports_reasoning(backend_->info().supports_reasoning);
  description.set_supports_images(backend_->info().supports_images);
  description.set_backend(backend_->info().backend);
  return description;
}

}  // namespace cascade::tier_worker
