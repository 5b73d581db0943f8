#include "tools/policy/logistic_combination.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_format.h"

namespace cascade::policy {
namespace {

double Sigmoid(double z) {
  // Both branches avoid exp overflow.
  if (z >= 0) return 1 / (1 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1 + e);
}

// log(1 + exp(z)) without overflow.
double Softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

// Solves a x = b by Gaussian elimination with partial pivoting; a is square and small.
// INTERNAL when it is singular.
absl::StatusOr<std::vector<double>> Solve(std::vector<std::vector<double>> a,
                                          std::vector<double> b) {
  const size_t n = b.size();
  for (size_t col = 0; col < n; ++col) {
    size_t pivot = col;
    for (size_t row = col + 1; row < n; ++row) {
      if (std::abs(a[row][col]) > std::abs(a[pivot][col])) pivot = row;
    }
    if (!(std::abs(a[pivot][col]) > 0)) {
      return absl::InternalError("logistic combination: the Newton system is singular");
    }
    std::swap(a[col], a[pivot]);
    std::swap(b[col], b[pivot]);
    for (size_t row = col + 1; row < n; ++row) {
      const double factor = a[row][col] / a[col][col];
      for (size_t k = col; k < n; ++k) a[row][k] -= factor * a[col][k];
      b[row] -= factor * b[col];
    }
  }
  std::vector<double> x(n);
  for (size_t row = n; row-- > 0;) {
    double sum = b[row];
    for (size_t k = row + 1; k < n; ++k) sum -= a[row][k] * x[k];
    x[row] = sum / a[row][row];
    if (!std::isfinite(x[row])) {
      return absl::InternalError("logistic combination: the Newton system is singular");
    }
  }
  return x;
}

}  // namespace

double LogisticCombination::Probability(absl::Span<const double> x) const {
  double z = intercept;
  for (size_t j = 0; j < weights.size() && j < x.size(); ++j) z += weights[j] * x[j];
  return Sigmoid(z);
}

absl::StatusOr<LogisticCombination> FitLogisticCombination(
    const std::vector<std::vector<double>>& features, absl::Span<const int> labels,
    const LogisticFitOptions& options) {
  const size_t n = features.size();
  if (n != labels.size()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("logistic combination: %d feature rows but %d labels", static_cast<int>(n),
                        static_cast<int>(labels.size())));
  }
  if (n == 0 || features[0].empty()) {
    return absl::InvalidArgumentError("logistic combination: no records or no features");
  }
  if (!(options.ridge >= 0) || options.max_iterations < 1) {
    return absl::InvalidArgumentError("logistic combination: bad options");
  }
  const size_t d = features[0].size();
  size_t positives = 0;
  for (size_t i = 0; i < n; ++i) {
    if (features[i].size() != d) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "logistic combination: record %d has %d features, record 0 has %d", static_cast<int>(i),
          static_cast<int>(features[i].size()), static_cast<int>(d)));
    }
    if (labels[i] != 0 && labels[i] != 1) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "logistic combination: label %d of record %d is not 0 or 1", labels[i], i));
    }
    for (double value : features[i]) {
      if (!std::isfinite(value)) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "logistic combination: a feature of record %d is not finite", static_cast<int>(i)));
      }
    }
    positives += static_cast<size_t>(labels[i]);
  }
  if (positives == 0 || positives == n) {
    return absl::InvalidArgumentError(
        "logistic combination needs both labels among the records (some 1s and some 0s)");
  }

  // Standardize: z[i][j] = (x[i][j] - mean[j]) / scale[j].
  std::vector<double> mean(d, 0), scale(d, 0);
  for (size_t j = 0; j < d; ++j) {
    bool constant = true;
    for (size_t i = 0; i < n; ++i) {
      mean[j] += features[i][j];
      constant = constant && features[i][j] == features[0][j];
    }
    if (constant) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "logistic combination: feature %d is the same on every record", static_cast<int>(j)));
    }
    mean[j] /= static_cast<double>(n);
    for (size_t i = 0; i < n; ++i) {
      const double centered = features[i][j] - mean[j];
      scale[j] += centered * centered;
    }
    scale[j] = std::sqrt(scale[j] / static_cast<double>(n));
  }
  std::vector<std::vector<double>> z(n, std::vector<double>(d + 1, 1.0));  // z[i][0]: intercept.
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) z[i][j + 1] = (features[i][j] - mean[j]) / scale[j];
  }

  // The penalized negative log-likelihood, its gradient and its Hessian in beta (the
  // intercept first, then the standardized weights; the ridge spares the intercept).
  const double lambda = options.ridge;
  auto objective = [&](const std::vector<double>& beta) {
    double value = 0;
    for (size_t i = 0; i < n; ++i) {
      double eta = 0;
      for (size_t k = 0; k <= d; ++k) eta += beta[k] * z[i][k];
      value += Softplus(eta) - labels[i] * eta;
    }
    for (size_t k = 1; k <= d; ++k) value += 0.5 * lambda * beta[k] * beta[k];
    return value;
  };
  const double base = static_cast<double>(positives) / static_cast<double>(n);
  std::vector<double> beta(d + 1, 0);
  beta[0] = std::log(base / (1 - base));
  double current = objective(beta);
  bool converged = false;
  for (int iteration = 0; iteration < options.max_iterations && !converged; ++iteration) {
    std::vector<double> gradient(d + 1, 0);
    std::vector<std::vector<double>> hessian(d + 1, std::vector<double>(d + 1, 0));
    for (size_t i = 0; i < n; ++i) {
      double eta = 0;
      for (size_t k = 0; k <= d; ++k) eta += beta[k] * z[i][k];
      const double p = Sigmoid(eta);
      const double w = std::max(p * (1 - p), 1e-12);
      for (size_t k = 0; k <= d; ++k) {
        gradient[k] += (p - labels[i]) * z[i][k];
        for (size_t l = 0; l <= k; ++l) hessian[k][l] += w * z[i][k] * z[i][l];
      }
    }
    for (size_t k = 0; k <= d; ++k) {
      for (size_t l = 0; l < k; ++l) hessian[l][k] = hessian[k][l];
      if (k > 0) {
        gradient[k] += lambda * beta[k];
        hessian[k][k] += lambda;
      }
    }
    std::vector<double> minus_gradient(d + 1);
    for (size_t k = 0; k <= d; ++k) minus_gradient[k] = -gradient[k];
    auto step = Solve(hessian, minus_gradient);
    if (!step.ok()) return step.status();
    // slope = -g' H^-1 g: minus twice what the full step would gain (the Newton
    // decrement). Once that is below the objective's rounding, the optimum is reached.
    double slope = 0;
    for (size_t k = 0; k <= d; ++k) slope += gradient[k] * (*step)[k];
    if (-slope < 1e-12 * std::max(1.0, std::abs(current))) {
      for (size_t k = 0; k <= d; ++k) beta[k] += (*step)[k];
      converged = true;
      break;
    }
    // Backtracking (Armijo) keeps every step downhill, far from the optimum included.
    double t = 1;
    std::vector<double> next(d + 1);
    for (; t > 1e-12; t /= 2) {
      for (size_t k = 0; k <= d; ++k) next[k] = beta[k] + t * (*step)[k];
      const double value = objective(next);
      if (value <= current + 1e-4 * t * slope) {
        current = value;
        break;
      }
    }
    if (!(t > 1e-12)) {
      // No step downhill: rounding stops it at the optimum, or something is wrong.
      double largest_gradient = 0;
      for (double g : gradient) largest_gradient = std::max(largest_gradient, std::abs(g));
      converged = largest_gradient < 1e-6 * static_cast<double>(n);
      break;
    }
    beta = next;
  }
  if (!converged) {
    return absl::InternalError(
        absl::StrFormat("logistic combination: Newton's method did not converge in %d iterations",
                        options.max_iterations));
  }
  // Back to the features' own scale.
  LogisticCombination fit;
  fit.intercept = beta[0];
  fit.weights.resize(d);
  for (size_t j = 0; j < d; ++j) {
    fit.weights[j] = beta[j + 1] / scale[j];
    fit.intercept -= fit.weights[j] * mean[j];
  }
  return fit;
}

}  // namespace cascade::policy
