#pragma once

// The router's learned per-tier estimate (TierSuccessEstimator) judged as a weak/strong
// router with RouteLLM's metrics, on recorded outcomes, by 2-fold cross-validation: the
// records are split into two halves by a hash of (seed, record id); an estimator built from
// one half scores the other, and the reverse. Nothing is tuned on the scored half: the
// estimator's own smoothing is fitted at build time, leave-one-out, on its training half.
//
// Routers compared on each scored half:
//   random             a constant score (APGR 0.5, CPT(p) = p)
//   gain               p_strong - p_weak, the estimator's expected gain from the strong model
//   one_minus_p_weak   1 - p_weak, the estimator's chance that the weak model fails
//   oracle             q_strong - q_weak, the recorded outcome itself

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/outcomes/outcomes.h"
#include "services/router/lib/outcome_exemplars.h"

namespace cascade::routing_eval {

struct RoutingEvalOptions {
  // Empty: the first and the last model of the first record.
  std::string weak;
  std::string strong;
  int neighbours = 32;  // The estimator's neighbours per query.
  uint64_t seed = 0;    // Of the split.
};

struct RouterMetrics {
  double apgr = 0.0;
  double cpt50 = 0.0;  // CPT(50%)
  double cpt80 = 0.0;  // CPT(80%)
};

struct FoldResult {
  size_t train = 0;
  size_t test = 0;
  double weak_accuracy = 0.0;  // Mean quality on the test half.
  double strong_accuracy = 0.0;
  double build_seconds = 0.0;  // Building the estimator from the train half.
  double score_seconds = 0.0;  // Estimating every test query.
  RouterMetrics random;
  RouterMetrics gain;
  RouterMetrics one_minus_p_weak;
  RouterMetrics oracle;
};

struct RoutingEvalResult {
  std::string weak;
  std::string strong;
  size_t records = 0;  // In the file.
  size_t skipped = 0;  // Without a graded answer of both models, or without a user message.
  std::vector<FoldResult> folds;  // Two: learn on half A and score B, then the reverse.
  FoldResult mean;                // Field by field over the folds.
};

// The split's hash of a record: stable across builds and platforms (FNV-1a, then mixed).
uint64_t SplitHash(uint64_t seed, absl::string_view record_id);

// The exemplar a record teaches: the last user message's content as the query,
// MessagesKey(messages) as the key, both models' qualities as labels. Nullopt when either
// model has no graded answer or there is no non-empty user message.
std::optional<router::OutcomeExemplar> ExemplarFromRecord(const outcomes::OutcomeRecord& record,
                                                          const std::string& weak,
                                                          const std::string& strong);

// InvalidArgument for no records, an unknown or equal weak/strong model, bad options, or
// too few usable records to split; FailedPrecondition when a test half has no quality gap
// between the models; the estimator's errors.
absl::StatusOr<RoutingEvalResult> EvaluateRouting(
    const std::vector<outcomes::OutcomeRecord>& records, const RoutingEvalOptions& options);

}  // namespace cascade::routing_eval
