#include "tools/policy/outcomes_tier_client.h"

#include "absl/strings/str_cat.h"

namespace cascade::policy {

absl::StatusOr<v1::CompleteResponse> OutcomesTierClient::Complete(
    const v1::CompleteRequest& request, const orchestrator::DownstreamCall& /*call*/,
    const orchestrator::TextSink* on_text) {
  const outcomes::ModelOutcome* outcome = answers_.Find(request.messages());
  if (outcome == nullptr) {
    return absl::NotFoundError(absl::StrCat("no recorded answer of '", model_, "' for ",
                                            outcomes::DescribeConversation(request.messages())));
  }
  const bool with_logprobs = request.params().logprobs() || request.params().top_logprobs() > 0;
  v1::CompleteResponse response = outcomes::RecordedResponse(*outcome, model_, with_logprobs);
  response.set_tier(tier_);
  response.set_cost_pusd(price_.CostPusd(response.usage()));
  if (request.self_check()) {
    std::optional<v1::SelfCheck> check = outcomes::RecordedSelfCheck(*outcome);
    if (check) {
      check->set_cost_pusd(price_.CostPusd(check->usage()));
      response.set_cost_pusd(response.cost_pusd() + check->cost_pusd());
      *response.mutable_self_check() = *check;
    } else {
      response.mutable_self_check()->set_error(absl::StrCat(
          "FAILED_PRECONDITION: the recorded answer of '", model_, "' has no self_check"));
    }
  }
  if (on_text != nullptr) (*on_text)(response.text(), response.logprobs());
  return response;
}

absl::StatusOr<v1::DescribeResponse> OutcomesTierClient::Describe(
    const orchestrator::DownstreamCall& /*call*/) {
  v1::DescribeResponse description;
  description.set_tier(tier_);
  description.set_model(model_);
  description.set_input_price_uusd_per_mtok(price_.input_uusd_per_mtok);
  description.set_output_price_uusd_per_mtok(price_.output_uusd_per_mtok);
  description.set_supports_logprobs(answers_.has_logprobs());
  description.set_backend("replay");
  return description;
}

}  // namespace cascade::policy
