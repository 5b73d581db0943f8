#pragma once

// One finished request as a line of the decision log (docs/outcomes.md, "The decision
// log"): who asked (request id, tenant, time), what was decided (policy, route and its score,
// the start tier and why), every attempt with every signal of its answer, whether and by
// which rule it was accepted, its usage, cost, latency and error, and the outcome (final
// tier, cost, the top tier's baseline). The messages are identified by the SHA-256 of
// their canonical JSON; the messages themselves, and each attempt's answer with its token
// logprobs, only with include_prompt.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cascade/v1/cascade.pb.h"
#include "cascade/v1/tier.pb.h"
#include "services/orchestrator/lib/cascade_handler.h"
#include "services/orchestrator/lib/start_selector.h"

namespace cascade::orchestrator {

struct FinishedRequest {
  const v1::CascadeRequest* request = nullptr;
  const CascadeCall* call = nullptr;
  absl::Time began;
  double seconds = 0;
  std::string policy;                   // Empty when the request was refused before planning.
  const CascadeStart* start = nullptr;  // Null when the climb never started.
  const absl::StatusOr<v1::CascadeResponse>* result = nullptr;
  // The tiers' answers in the order they came (each names its tier); may be null.
  const std::vector<v1::CompleteResponse>* answers = nullptr;
};

nlohmann::json DecisionJson(const FinishedRequest& finished, bool include_prompt);

// The canonical form of a conversation: compact JSON, [{"content": ..., "role": ...}, ...]
// (keys sorted, UTF-8 unescaped), as Python's json.dumps(messages, sort_keys=True,
// separators=(",", ":"), ensure_ascii=False) writes it.
std::string CanonicalMessagesJson(const v1::CascadeRequest& request);

}  // namespace cascade::orchestrator
