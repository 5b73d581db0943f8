#pragma once

// RouteLLM's metrics for a router between a weak and a strong model (Ong et al., "RouteLLM:
// Learning to Route LLMs with Preference Data", arXiv 2406.18665), on a test set where each
// query has both models' quality in [0, 1] and the router's score (higher: send to strong).
//
// The curve: for k = 0..n, the k highest-scored queries go to the strong model and the rest
// to the weak one; perf(k) is the mean quality. Queries of equal score are one group, filled
// in random order: perf is its expectation, linear across the group, so that a constant
// score gives exactly random routing's diagonal.
//
//   PGR(k) = (perf(k) - perf_weak) / (perf_strong - perf_weak)   performance gap recovered
//   APGR   = area under PGR over x = k / n in [0, 1] (trapezoids)  random routing: 0.5
//   CPT(p) = the smallest share of strong calls x at which PGR reaches p (linear between the
//            points)                                                random routing: p

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace cascade::routing_eval {

struct GainCurve {
  size_t queries = 0;
  double weak_quality = 0.0;    // perf(0): every query to the weak model.
  double strong_quality = 0.0;  // perf(n): every query to the strong model.
  // k = 0..n: expected mean quality, and PGR, with the k highest-scored queries to strong.
  std::vector<double> performance;
  std::vector<double> pgr;
  double apgr = 0.0;
  // The curve PGR(x) is linear between these points: x = k / n at the boundaries of groups
  // of tied scores (k = 0 and k = n included), PGR there.
  std::vector<double> break_x;
  std::vector<double> break_pgr;
};

// InvalidArgument for no queries, spans of different sizes, a quality outside [0, 1] or a
// non-finite score; FailedPrecondition when both models' mean qualities are equal (PGR is
// undefined without a gap to recover).
absl::StatusOr<GainCurve> ComputeGainCurve(absl::Span<const double> weak_quality,
                                           absl::Span<const double> strong_quality,
                                           absl::Span<const double> score);

// CPT(p): the smallest x in [0, 1] at which the curve's PGR reaches `target`. Because
// PGR(1) = 1, any target in [0, 1] is reached; InvalidArgument for one outside.
absl::StatusOr<double> CallPerformanceThreshold(const GainCurve& curve, double target);

// The oracle's score, q_strong - q_weak: the best any router can do on this test set.
std::vector<double> OracleScores(absl::Span<const double> weak_quality,
                                 absl::Span<const double> strong_quality);

}  // namespace cascade::routing_eval
