#include "tools/policy/router_estimates.h"

#include <algorithm>
#include <map>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "services/router/lib/outcome_exemplars.h"
#include "services/router/lib/tier_success_estimator.h"
#include "services/router/outcome_proto.h"
#include "tools/cascadectl/learn_exemplars.h"

namespace cascade::policy {
namespace {

constexpr int kRouterEstimate = static_cast<int>(SignalKind::kRouterEstimate);

// The rows' exemplars: each labels every model of the table with its answer's quality.
// Rows without a query are left out (the router cannot be asked about them either).
std::vector<router::OutcomeExemplar> Exemplars(const QueryTable& table,
                                               const std::vector<int>& rows) {
  std::vector<router::OutcomeExemplar> exemplars;
  for (int row : rows) {
    if (table.queries[row].empty()) continue;
    router::OutcomeExemplar& exemplar = exemplars.emplace_back();
    exemplar.query = table.queries[row];
    exemplar.key = row < static_cast<int>(table.keys.size()) && !table.keys[row].empty()
                       ? table.keys[row]
                       : absl::StrCat("row ", row);
    for (size_t m = 0; m < table.models.size(); ++m) {
      exemplar.tier_quality[table.models[m]] = table.rows[row][m].quality;
    }
  }
  return exemplars;
}

// Fills the estimates of `targets` from an estimator built on the rows `from`.
absl::Status EstimateFrom(QueryTable& table, const std::vector<int>& from,
                          const std::vector<int>& targets, RouterEstimateCrossFit& result) {
  if (targets.empty()) return absl::OkStatus();
  const int models = static_cast<int>(table.models.size());
  std::vector<router::OutcomeExemplar> exemplars = Exemplars(table, from);
  std::shared_ptr<const router::TierSuccessEstimator> estimator;
  if (!exemplars.empty()) {
    auto built =
        router::TierSuccessEstimator::Build(std::move(exemplars), router::TierEstimatorOptions{});
    if (!built.ok()) return built.status();
    estimator = *std::move(built);
  }
  for (int row : targets) {
    std::map<std::string, double> by_tier;
    if (estimator != nullptr && !table.queries[row].empty()) {
      auto estimates = estimator->Estimate(table.queries[row]);
      if (!estimates.ok()) return estimates.status();
      for (const router::TierEstimate& estimate : *estimates) {
        by_tier[estimate.tier] = estimate.probability;
      }
    }
    for (int m = 0; m < models; ++m) {
      auto found = by_tier.find(table.models[m]);
      if (found == by_tier.end()) {
        ++result.missing;
        continue;
      }
      table.rows[row][m].signals[kRouterEstimate] = found->second;
      ++result.estimated;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RouterEstimateCrossFit> CrossFitRouterEstimates(
    QueryTable& table, const std::vector<int>& selection, const std::vector<int>& certification,
    int folds, uint64_t seed) {
  if (folds < 2 || folds > 20) {
    return absl::InvalidArgumentError(
        absl::StrCat("the router estimates' folds must be from 2 to 20, not ", folds));
  }
  if (table.queries.size() != table.rows.size()) {
    return absl::InvalidArgumentError(
        "cross-fitting the router's estimates needs every row's query (the table has none)");
  }
  // Recorded estimates do not mix with cross-fitted ones.
  for (auto& row : table.rows) {
    for (ModelAnswer& answer : row) answer.signals[kRouterEstimate].reset();
  }
  RouterEstimateCrossFit result;
  result.folds = folds;
  std::vector<int> order = selection;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed ^ 0x9e3779b97f4a7c15ULL));
  for (int fold = 0; fold < folds; ++fold) {
    std::vector<int> held_out, others;
    for (size_t i = 0; i < order.size(); ++i) {
      (static_cast<int>(i % folds) == fold ? held_out : others).push_back(order[i]);
    }
    if (absl::Status done = EstimateFrom(table, others, held_out, result); !done.ok()) {
      return done;
    }
  }
  // The certification rows see the selection rows' labels only.
  if (absl::Status done = EstimateFrom(table, selection, certification, result); !done.ok()) {
    return done;
  }
  return result;
}

absl::StatusOr<std::shared_ptr<const router::TierSuccessEstimator>> EstimatorFromOutcomes(
    const std::vector<outcomes::OutcomeRecord>& records) {
  std::vector<router::OutcomeExemplar> exemplars;
  for (const v1::OutcomeExemplar& learned : cli::ExemplarsFromOutcomes(records, {}).exemplars) {
    exemplars.push_back(router::OutcomeExemplarFromProto(learned));
  }
  if (exemplars.empty()) {
    return absl::InvalidArgumentError(
        "no record has both a user message and a graded answer to learn from");
  }
  return router::TierSuccessEstimator::Build(std::move(exemplars), router::TierEstimatorOptions{});
}

}  // namespace cascade::policy
