#pragma once

// The OpenAI chat completions request (POST /v1/chat/completions) -> our CascadeRequest.
//
// Field policy: what changes the answer's meaning and we cannot honour is a 400 naming the
// field, never silently ignored (functions, function_call, n > 1, logit_bias, audio,
// modalities other than text, prediction, non-zero presence or frequency penalties, image
// parts, ...). Tools, tool_choice, parallel_tool_calls, tool and assistant tool-call
// messages and reasoning_effort are carried to the tiers. Harmless fields SDKs send are
// accepted and ignored (user, metadata, store, service_tier, prompt_cache_key,
// safety_identifier, verbosity, n = 1, empty logit_bias). Any other unknown field is a 400
// too: a field we do not know may change the answer.
// Cascade's own controls ride in an extension object `cascade`: {route_hint, start_tier,
// max_tier, threshold, budget_usd, tenant}.

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cascade/v1/cascade.pb.h"

namespace cascade::orchestrator {

struct ChatCompletionRequest {
  // `model` as sent: the cascade policy's name (also set as cascade.policy).
  std::string model;
  cascade::v1::CascadeRequest cascade;
  bool stream = false;
  // stream_options.include_usage: a last chunk with the usage.
  bool include_usage = false;
  // No temperature was sent: the policy's default applies (1 unless set, as OpenAI's).
  bool temperature_unset = false;
};

// INVALID_ARGUMENT naming the field (e.g. "messages[1].role") and what to send instead.
absl::StatusOr<ChatCompletionRequest> ParseChatCompletionRequest(absl::string_view body);
absl::StatusOr<ChatCompletionRequest> ParseChatCompletionJson(const nlohmann::json& body);

}  // namespace cascade::orchestrator
