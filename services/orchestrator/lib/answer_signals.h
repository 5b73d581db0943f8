#pragma once

// Every confidence signal of one answer, for its step in the trace: the logprob aggregates
// (whatever aggregate the policy's rule uses), the judge's scores by method when it ran,
// and the answer's length. A policy fitted later on traces can then use any of them.

#include "cascade/v1/cascade.pb.h"
#include "cascade/v1/tier.pb.h"
#include "services/orchestrator/lib/acceptance_check.h"

namespace cascade::orchestrator {

v1::AnswerSignals SignalsOf(const v1::CompleteResponse& answer, const AcceptanceResult& verdict);

}  // namespace cascade::orchestrator
