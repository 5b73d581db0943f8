#pragma once

// For a new query, each tier's chance of answering it well, from the outcome exemplars most
// like it: a similarity-weighted mean of the neighbours' labels, smoothed toward the tier's
// base rate by a prior worth `prior_strength` neighbours, so that few or far neighbours
// leave the estimate near the base rate and none leaves it there:
//
//   p(tier | query) = (sum_i w_i q_i + m * base) / (sum_i w_i + m),   w_i = sim_i ^ power
//
// over the `neighbours` nearest exemplars labelled for the tier with similarity above
// `min_similarity`. Per tier, m and the power are chosen at build time by leave-one-out log
// loss over the exemplars themselves (each scored by the others): calibrated on exemplars it
// was not fitted on, with nothing set by hand per data set. Immutable once built.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/router/lib/embedder.h"
#include "services/router/lib/exemplar_index.h"
#include "services/router/lib/outcome_exemplars.h"

namespace cascade::router {

struct TierEstimatorOptions {
  // Empty: the hashed embedder, fitted to these exemplars' queries.
  EmbedderFactory embedder;
  ExemplarIndexOptions index;
  // Nearest exemplars searched per query.
  int neighbours = 32;
  // Neighbours at or below this similarity are no evidence.
  double min_similarity = 0.0;
  // At most this many exemplars (an even spread) are scored leave-one-out to choose the
  // smoothing; bounds the build's cost on large sets.
  size_t max_calibration_exemplars = 2000;
};

struct TierEstimate {
  std::string tier;
  // Estimated quality of the tier's answer (its chance of being right), in (0, 1).
  double probability = 0.0;
  // The tier's mean quality over every exemplar labelled for it.
  double base_rate = 0.0;
  // The evidence: labelled neighbours that counted, their mean similarity (0 when none).
  int neighbours = 0;
  double mean_similarity = 0.0;
};

// What the leave-one-out fit chose for a tier, and how well it did.
struct TierCalibration {
  std::string tier;
  size_t labelled = 0;  // Exemplars labelled for the tier.
  double base_rate = 0.0;
  double prior_strength = 0;   // m
  double kernel_power = 0;     // The similarity's exponent.
  double log_loss = 0.0;       // Leave-one-out, of the chosen smoothing.
  double base_log_loss = 0.0;  // Of the base rate alone: what the neighbours must beat.
  size_t scored = 0;           // Exemplars the log losses are over.
};

class TierSuccessEstimator {
 public:
  // InvalidArgument for no exemplars, an invalid one or bad options; the embedder's errors.
  static absl::StatusOr<std::shared_ptr<const TierSuccessEstimator>> Build(
      std::vector<OutcomeExemplar> exemplars, const TierEstimatorOptions& options);

  // One estimate per tier any exemplar labels, by tier name. Thread-safe.
  absl::StatusOr<std::vector<TierEstimate>> Estimate(absl::string_view query) const;

  size_t size() const { return exemplars_.size(); }
  const std::vector<TierCalibration>& calibration() const { return calibration_; }

 private:
  TierSuccessEstimator() = default;

  struct TierModel {
    std::string name;
    double base_rate = 0.0;
    double prior_strength = 4.0;
    double kernel_power = 1.0;
  };

  std::vector<TierEstimate> FromNeighbors(const std::vector<Neighbor>& neighbors,
                                          int64_t left_out) const;
  void Calibrate(const std::vector<float>& vectors);

  TierEstimatorOptions options_;
  std::vector<OutcomeExemplar> exemplars_;
  // labels_[t][e]: exemplar e's quality for tier t, or -1 when unlabelled.
  std::vector<std::vector<float>> labels_;
  std::vector<TierModel> tiers_;
  std::vector<TierCalibration> calibration_;
  std::shared_ptr<const Embedder> embedder_;
  std::unique_ptr<ExemplarIndex> index_;
};

}  // namespace cascade::router
