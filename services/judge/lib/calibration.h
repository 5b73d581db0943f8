#pragma once

// Calibration of judge scores: a logistic map from a method's raw value to P(correct),
// fitted on labeled records, and the measures `cascadectl judge calibrate` reports.
// AUC depends only on the order of the scores, so a monotone map cannot change it;
// Brier and the expected calibration error (ECE) say whether a score means what it says.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace cascade::judge {

struct LogisticMap {
  double slope = 1;
  double intercept = 0;

  // 1 / (1 + exp(-(slope * raw + intercept))).
  double Apply(double raw) const;
};

// Maximum-likelihood fit by Newton's method with a small L2 penalty on the slope (a
// perfectly separable sample would otherwise push it to infinity). INVALID_ARGUMENT when
// the sizes differ, a label is not 0 or 1, a value is not finite, or one class is absent.
absl::StatusOr<LogisticMap> FitLogisticMap(absl::Span<const double> raw,
                                           absl::Span<const int> labels);

// Area under the ROC curve: P(a random positive scores above a random negative), ties
// counting one half. 0.5 when one class is absent.
double RocAuc(absl::Span<const double> scores, absl::Span<const int> labels);

// Mean of (p - label)^2; p in [0, 1].
double BrierScore(absl::Span<const double> probabilities, absl::Span<const int> labels);

// Expected calibration error over `bins` equal-width bins: sum over bins of
// |mean p - fraction positive| weighted by the bin's share of records.
double ExpectedCalibrationError(absl::Span<const double> probabilities,
                                absl::Span<const int> labels, int bins = 10);

}  // namespace cascade::judge
