#pragma once

// A logistic regression of a 0/1 label on a few features (the policy fitter's calibrated
// combination of confidence signals): P(label = 1 | x) = 1 / (1 + exp(-(intercept + sum of
// weights[j] * x[j]))), fitted by maximum likelihood with Newton's method (iteratively
// reweighted least squares) and a small L2 ridge on the weights, not the intercept. The
// features are standardized inside the fit, so the ridge treats them alike whatever their
// scale; the result is on the features' own scale.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace cascade::policy {

struct LogisticCombination {
  double intercept = 0;
  std::vector<double> weights;  // One per feature.

  // 1 / (1 + exp(-(intercept + sum of weights[j] * x[j]))).
  double Probability(absl::Span<const double> x) const;
};

struct LogisticFitOptions {
  // The ridge's strength on the standardized weights: it keeps them finite when the
  // features separate the labels perfectly, and barely moves them otherwise.
  double ridge = 1e-3;
  int max_iterations = 100;
};

// features[i]: record i's features, the same number (at least one) for every record.
// INVALID_ARGUMENT when the sizes differ, a label is not 0 or 1, a value is not finite, one
// class is absent, or a feature is the same on every record (it says nothing, and its
// weight is not identified); INTERNAL when Newton's method does not converge.
absl::StatusOr<LogisticCombination> FitLogisticCombination(
    const std::vector<std::vector<double>>& features, absl::Span<const int> labels,
    const LogisticFitOptions& options = {});

}  // namespace cascade::policy
