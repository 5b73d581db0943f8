#pragma once

// `cascadectl cost`, the planner's arithmetic: what a month of traffic costs on one big
// model (the monolith), routed perfectly (each request straight to the tier that answers
// it), and as the cascade, where the share of requests that climbs has already paid for
// every lower tier's attempt and its judge calls. Integer pico-USD throughout (prices are
// micro-USD per million tokens = pico-USD per token), so a worked example comes out
// exact: 1,000,000 requests of 500 + 500 tokens, $0.30 and $10 per million, 80% answered
// by the small tier -> $10,000 monolith, $2,240 routed, $2,300 as a waterfall.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cascade::cli {

struct PlannedTier {
  std::string name;
  int64_t input_uusd_per_mtok = 0;   // Pico-USD per input token.
  int64_t output_uusd_per_mtok = 0;  // Pico-USD per output token.
  // Share of requests whose final answer comes from this tier, parts per million.
  int64_t final_share_ppm = 0;
};

struct CostPlanInput {
  int64_t requests = 0;  // Per month.
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  // In climbing order; the last is the monolith's model.
  std::vector<PlannedTier> tiers;
  // Share of requests the router sends straight to their final tier; the rest climb from
  // the first tier. Parts per million.
  int64_t routed_ppm = 0;
  // Cost of one judge call, pico-USD; every attempt below the top tier of a climbing
  // request is judged.
  int64_t judge_pusd_per_call = 0;
};

struct CostPlan {
  int64_t monolith_pusd = 0;
  int64_t routed_pusd = 0;   // Everything routed perfectly.
  int64_t cascade_pusd = 0;  // With input.routed_ppm routed, the rest climbing.
  // Parts of cascade_pusd: final answers, lower-tier attempts that were rejected, judges.
  int64_t cascade_final_answers_pusd = 0;
  int64_t cascade_rejected_attempts_pusd = 0;
  int64_t cascade_judge_pusd = 0;
  // Monthly requests answered per tier (rounded), in tier order.
  std::vector<int64_t> answered_per_tier;
};

// INVALID_ARGUMENT naming what is wrong (no tiers, shares that do not add up to 100%, ...).
absl::StatusOr<CostPlan> PlanCost(const CostPlanInput& input);

// Saving against the monolith in percent, e.g. 77.6.
double SavedPercent(int64_t monolith_pusd, int64_t pusd);

// "0.30" -> 300000 (a decimal number scaled by 10^6, exact); INVALID_ARGUMENT otherwise.
absl::StatusOr<int64_t> ParseMillionths(absl::string_view text);

// "$2,240.00" (cents, rounded half up).
std::string FormatUsd(int64_t pusd);

}  // namespace cascade::cli
