#pragma once

// The router's estimate of each model's chance of answering a query well, cross-fitted for
// the policy fitter on outcomes that do not record it (docs/policy.md, "The router's
// estimate as a signal"). Each row's estimate comes from a router::TierSuccessEstimator
// (the router's defaults: the hashed embedder fitted on the exemplars) built on exemplars
// of other rows, made as `cascadectl routes learn` makes them (the last user message, the
// models as tiers, their answers' quality as labels):
//
//  - a selection row: K-fold within the selection rows, from the other folds' rows;
//  - a certification row: from every selection row, and never from a certification row, so
//    that the certification's labels do not reach its own signals and it stays independent.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "common/outcomes/outcomes.h"
#include "services/router/lib/tier_success_estimator.h"
#include "tools/policy/query_table.h"

namespace cascade::policy {

struct RouterEstimateCrossFit {
  int folds = 0;
  int estimated = 0;  // Answers (row, model) given an estimate.
  // Answers left without one (the rule then does not pass): the row has no query, or the
  // exemplars it was estimated from label no model (an empty fold's complement).
  int missing = 0;
};

// Replaces every row's kRouterEstimate signal (a recorded one included) with its
// cross-fitted estimate; `selection` and `certification` are row indices, disjoint.
// INVALID_ARGUMENT for folds outside 2..20 or a table without its rows' queries; the
// estimator's errors.
absl::StatusOr<RouterEstimateCrossFit> CrossFitRouterEstimates(
    QueryTable& table, const std::vector<int>& selection, const std::vector<int>& certification,
    int folds, uint64_t seed);

// The estimator a router that learned `records` with `cascadectl routes learn` (models as
// tiers, the router's default options) holds: what `policy eval --exemplars` asks. Records
// without a user message or a graded answer are left out. INVALID_ARGUMENT when none is
// left; the estimator's errors.
absl::StatusOr<std::shared_ptr<const router::TierSuccessEstimator>> EstimatorFromOutcomes(
    const std::vector<outcomes::OutcomeRecord>& records);

}  // namespace cascade::policy
