#include "services/judge/lib/calibration.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_format.h"

namespace cascade::judge {

double LogisticMap::Apply(double raw) const {
  const double z = slope * raw + intercept;
  // Both branches avoid exp overflow.
  if (z >= 0) return 1 / (1 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1 + e);
}

absl::StatusOr<LogisticMap> FitLogisticMap(absl::Span<const double> raw,
                                           absl::Span<const int> labels) {
  if (raw.size() != labels.size()) {
    return absl::InvalidArgumentError(absl::StrFormat("calibration: %d values but %d labels",
                                                      static_cast<int>(raw.size()),
                                                      static_cast<int>(labels.size())));
  }
  size_t positives = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (labels[i] != 0 && labels[i] != 1) {
      return absl::InvalidArgumentError(
          absl::StrFormat("calibration: label %d of record %d is not 0 or 1", labels[i], i));
    }
    if (!std::isfinite(raw[i])) {
      return absl::InvalidArgumentError(
          absl::StrFormat("calibration: the value of record %d is not finite", i));
    }
    positives += static_cast<size_t>(labels[i]);
  }
  if (positives == 0 || positives == raw.size()) {
    return absl::InvalidArgumentError(
        "calibration needs both labels among the training records (some 1s and some 0s)");
  }
  // Newton-Raphson on the penalised log-likelihood; two parameters, so the Hessian is
  // inverted directly. Start at the base rate.
  constexpr double kL2 = 1e-3;
  const double base = static_cast<double>(positives) / static_cast<double>(raw.size());
  LogisticMap map{0, std::log(base / (1 - base))};
  for (int iteration = 0; iteration < 100; ++iteration) {
    double g_slope = kL2 * map.slope, g_intercept = 0;
    double h_ss = kL2, h_si = 0, h_ii = 0;
    for (size_t i = 0; i < raw.size(); ++i) {
      const double p = map.Apply(raw[i]);
      const double residual = p - labels[i];
      const double w = std::max(p * (1 - p), 1e-12);
      g_slope += residual * raw[i];
      g_intercept += residual;
      h_ss += w * raw[i] * raw[i];
      h_si += w * raw[i];
      h_ii += w;
    }
    const double det = h_ss * h_ii - h_si * h_si;
    if (!(std::abs(det) > 1e-18)) break;
    const double d_slope = (h_ii * g_slope - h_si * g_intercept) / det;
    const double d_intercept = (h_ss * g_intercept - h_si * g_slope) / det;
    map.slope -= d_slope;
    map.intercept -= d_intercept;
    if (std::abs(d_slope) + std::abs(d_intercept) < 1e-10) break;
  }
  return map;
}

double RocAuc(absl::Span<const double> scores, absl::Span<const int> labels) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Mann-Whitney U with mid-ranks for ties.
  double rank_sum = 0;
  size_t positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double mid_rank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2;
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]] == 1) {
        rank_sum += mid_rank;
        ++positives;
      }
    }
    i = j;
  }
  const size_t negatives = scores.size() - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  const double p = static_cast<double>(positives);
  return (rank_sum - p * (p + 1) / 2) / (p * static_cast<double>(negatives));
}

double BrierScore(absl::Span<const double> probabilities, absl::Span<const int> labels) {
  if (probabilities.empty()) return 0;
  double sum = 0;
  for (size_t i = 0; i < probabilities.size(); ++i) {
    const double d = probabilities[i] - labels[i];
    sum += d * d;
  }
  return sum / static_cast<double>(probabilities.size());
}

double ExpectedCalibrationError(absl::Span<const double> probabilities,
                                absl::Span<const int> labels, int bins) {
  if (probabilities.empty() || bins < 1) return 0;
  std::vector<double> p_sum(bins, 0), y_sum(bins, 0), count(bins, 0);
  for (size_t i = 0; i < probabilities.size(); ++i) {
    const double p = std::clamp(probabilities[i], 0.0, 1.0);
    const int bin = std::min(static_cast<int>(p * bins), bins - 1);
    p_sum[bin] += p;
    y_sum[bin] += labels[i];
    count[bin] += 1;
  }
  double ece = 0;
  for (int b = 0; b < bins; ++b) {
    if (count[b] == 0) continue;
    ece += count[b] * std::abs(p_sum[b] / count[b] - y_sum[b] / count[b]);
  }
  return ece / static_cast<double>(probabilities.size());
}

}  // namespace cascade::judge
