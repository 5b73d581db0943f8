#pragma once

// Every confidence signal of one answer, for its step in the trace: the logprob aggregates
// (whatever aggregate the policy's rule uses), the tier's self-check P(yes) when it ran, the
// judge's scores by method when it ran, and the answer's length. A policy fitted later on traces
// can then use any of them.

#include <nlohmann/json.hpp>

#include "cascade/v1/cascade.pb.h"
#include "cascade/v1/tier.pb.h"
#include "services/orchestrator/lib/acceptance_check.h"

namespace cascade::orchestrator {

v1::AnswerSignals SignalsOf(const v1::CompleteResponse& answer, const AcceptanceResult& verdict);

// As JSON, the shape the front door's `cascade` extension and the decision log share:
// {"completion_tokens", "logprob": {mean, min, p10, p25, mean_len}, "self_check": {p_yes,
// source}, "judge": {method: score}, "router_estimate"}, each only when known.
nlohmann::json SignalsToJson(const v1::AnswerSignals& signals);

}  // namespace cascade::orchestrator
