#include "tools/routing_eval/routing_gain_curve.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace cascade::routing_eval {
namespace {

absl::Status CheckQualities(absl::Span<const double> quality, const char* name) {
  for (size_t i = 0; i < quality.size(); ++i) {
    if (!(quality[i] >= 0.0 && quality[i] <= 1.0)) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, "[", i, "] must be in [0, 1], not ", quality[i]));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GainCurve> ComputeGainCurve(absl::Span<const double> weak_quality,
                                           absl::Span<const double> strong_quality,
                                           absl::Span<const double> score) {
  const size_t n = score.size();
  if (n == 0) return absl::InvalidArgumentError("no queries to route");
  if (weak_quality.size() != n || strong_quality.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat("sizes differ: ", weak_quality.size(),
                                                   " weak qualities, ", strong_quality.size(),
                                                   " strong qualities, ", n, " scores"));
  }
  if (absl::Status status = CheckQualities(weak_quality, "weak_quality"); !status.ok()) {
    return status;
  }
  if (absl::Status status = CheckQualities(strong_quality, "strong_quality"); !status.ok()) {
    return status;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(score[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("score[", i, "] must be finite, not ", score[i]));
    }
  }

  GainCurve curve;
  curve.queries = n;
  const double count = static_cast<double>(n);
  const double weak_sum = std::accumulate(weak_quality.begin(), weak_quality.end(), 0.0);
  const double strong_sum = std::accumulate(strong_quality.begin(), strong_quality.end(), 0.0);
  curve.weak_quality = weak_sum / count;
  curve.strong_quality = strong_sum / count;

  // Highest score first; each run of equal scores is one group.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return score[a] > score[b]; });
  // Group boundaries (positions in `order`) and the cumulative gain q_s - q_w at each.
  std::vector<size_t> break_k = {0};
  std::vector<double> break_gain = {0.0};
  double gain = 0.0;
  for (size_t i = 0; i < n; ++i) {
    gain += strong_quality[order[i]] - weak_quality[order[i]];
    if (i + 1 == n || score[order[i + 1]] != score[order[i]]) {
      break_k.push_back(i + 1);
      break_gain.push_back(gain);
    }
  }
  const double total_gain = gain;
  if (std::abs(total_gain) <= 1e-12 * count) {
    return absl::FailedPreconditionError(
        absl::StrCat("the weak and the strong model have the same mean quality (",
                     curve.weak_quality, "): no gap to recover, PGR is undefined"));
  }

  curve.break_x.reserve(break_k.size());
  curve.break_pgr.reserve(break_k.size());
  for (size_t j = 0; j < break_k.size(); ++j) {
    curve.break_x.push_back(static_cast<double>(break_k[j]) / count);
    // The last point is 1 exactly: its gain is the total's very sum.
    curve.break_pgr.push_back(j + 1 == break_k.size() ? 1.0 : break_gain[j] / total_gain);
  }

  // Every k, linear inside each group; the area group by group (one trapezoid per group is
  // the sum of its points' trapezoids, PGR being linear there).
  curve.performance.assign(n + 1, 0.0);
  curve.pgr.assign(n + 1, 0.0);
  for (size_t j = 0; j + 1 < break_k.size(); ++j) {
    const size_t first = break_k[j], last = break_k[j + 1];
    const double size = static_cast<double>(last - first);
    for (size_t k = first; k <= last; ++k) {
      const double share = static_cast<double>(k - first) / size;
      curve.pgr[k] = curve.break_pgr[j] + (curve.break_pgr[j + 1] - curve.break_pgr[j]) * share;
      curve.performance[k] =
          (weak_sum + break_gain[j] + (break_gain[j + 1] - break_gain[j]) * share) / count;
    }
    curve.apgr += size / count * (curve.break_pgr[j] + curve.break_pgr[j + 1]) / 2.0;
  }
  // The ends are the models' own means (the sums above differ from them by rounding only).
  curve.performance.front() = curve.weak_quality;
  curve.performance.back() = curve.strong_quality;
  return curve;
}

absl::StatusOr<double> CallPerformanceThreshold(const GainCurve& curve, double target) {
  if (!(target >= 0.0 && target <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat("a PGR target must be in [0, 1], not ", target));
  }
  const std::vector<double>& x = curve.break_x;
  const std::vector<double>& pgr = curve.break_pgr;
  if (x.empty() || x.size() != pgr.size()) {
    return absl::InvalidArgumentError("not a curve from ComputeGainCurve");
  }
  if (pgr[0] >= target) return x[0];
  for (size_t j = 1; j < x.size(); ++j) {
    if (pgr[j] < target) continue;
    if (pgr[j] == target) return x[j];
    // pgr[j - 1] < target < pgr[j]: the crossing inside this segment.
    return x[j - 1] + (target - pgr[j - 1]) / (pgr[j] - pgr[j - 1]) * (x[j] - x[j - 1]);
  }
  return absl::InvalidArgumentError("the curve never reaches the target: it does not end at 1");
}

std::vector<double> OracleScores(absl::Span<const double> weak_quality,
                                 absl::Span<const double> strong_quality) {
  std::vector<double> scores(std::min(weak_quality.size(), strong_quality.size()));
  for (size_t i = 0; i < scores.size(); ++i) scores[i] = strong_quality[i] - weak_quality[i];
  return scores;
}

}  // namespace cascade::routing_eval
