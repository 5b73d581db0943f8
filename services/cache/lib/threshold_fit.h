#pragma once

// The answer cache's similarity thresholds on labelled pairs: measured (cascade-cache-eval)
// and fitted (`cascadectl cache fit`, docs/cache.md). A pair is two last user messages,
// labelled `same` when the answer cached for one is right for the other (a true pair) and
// not when it is wrong (a near-miss). At threshold t a pair is served when its similarity is
// at least t and the near-miss guard lets it through, as the store decides a semantic hit
// (answer_cache.h): a served true pair is a hit, a served near-miss a wrong hit. Rates are
// over all the pairs of their label, the ones the guard refuses included.
//
// The fit: per route, the lowest threshold whose wrong hits are at most max_wrong_hit_rate
// of the route's near-misses (the lowest, since lowering a threshold never serves fewer true
// pairs: true pairs do not move it), for routes with at least min_route_negatives
// near-misses to fit on; every other route (and pairs without one) gets the overall
// threshold, fitted the same way on every pair. With n near-misses a target below 1/n allows
// no wrong hit: the threshold then sits just above every near-miss the guard lets through,
// and only pairs it was not fitted on (HoldOut) say what it does to others.
// Thresholds lie on a 1e-4 grid (what the YAML snippet prints), above the similarity they
// must exclude by at least 1e-6 (so float rounding cannot serve it), within
// [min_threshold, 1].

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/cache/lib/near_miss_guard.h"
#include "services/router/lib/embedder.h"

namespace cascade::cache {

// Two texts, not owned.
struct TextPair {
  absl::string_view first;
  absl::string_view second;
};

struct PairScore {
  // The cosine similarity of the two texts' embeddings (the dot product of the L2-normalised
  // vectors, as the store computes it); 0 when either text has none (looked up exactly only).
  float similarity = 0;
  NearMissVerdict verdict;

  // Whether a semantic lookup at `threshold` would serve one text's answer for the other.
  bool ServedAt(double threshold) const {
    return similarity >= static_cast<float>(threshold) && !verdict.refused();
  }
};

// Each pair's similarity under `embedder` and the guard's verdict. The embedder's errors.
absl::StatusOr<std::vector<PairScore>> ScorePairs(absl::Span<const TextPair> pairs,
                                                  const router::Embedder& embedder,
                                                  const NearMissGuard& guard);

struct LabelledPair {
  std::string first;
  std::string second;
  bool same = false;
  std::string route;  // The route the cached answer would be given under; empty: none.
};

// True pairs and near-misses, and how many of each were served.
struct ServedCounts {
  size_t positives = 0;
  size_t hits = 0;
  size_t negatives = 0;
  size_t wrong_hits = 0;

  void Add(bool same, bool served);
  double hit_rate() const;        // 0 without true pairs.
  double wrong_hit_rate() const;  // 0 without near-misses.
};

// Which pairs to hold out: in each group of one route and one label, round(fraction * size)
// of them, never the whole group, drawn with `seed` (the same pairs and seed always give
// the same split).
std::vector<bool> HoldOut(absl::Span<const LabelledPair> pairs, double fraction, uint64_t seed);

struct ThresholdFitOptions {
  // Near-misses served, as a share of all near-misses: [0, 1).
  double max_wrong_hit_rate = 0.005;
  // Near-misses a route needs in the fit part for a threshold of its own.
  size_t min_route_negatives = 50;
  // No threshold is fitted below this: (0, 1].
  double min_threshold = 0.5;
};

struct ThresholdFit {
  double threshold = 1.0;
  size_t negatives = 0;           // The near-misses fitted on.
  size_t allowed_wrong_hits = 0;  // floor(max_wrong_hit_rate * negatives).
  size_t wrong_hits = 0;          // Of them, served at `threshold`.
  // False when even 1.0 serves more than allowed: near-misses that embed as the same text
  // and that the guard lets through (the threshold is then 1.0).
  bool target_met = true;
};

// The lowest threshold for `negatives` (near-misses' scores).
ThresholdFit FitThreshold(absl::Span<const PairScore> negatives,
                          const ThresholdFitOptions& options);

struct RouteFit {
  std::string route;       // Empty: the pairs without a route.
  bool own = false;        // Fitted on its own near-misses; else the overall threshold applies.
  ThresholdFit fit;        // When `own`.
  double threshold = 1.0;  // The one that applies.
  ServedCounts fitted;     // The fit part's pairs of the route, at `threshold`.
  ServedCounts held_out;   // The held-out part's.
};

struct CacheThresholdFit {
  ThresholdFit overall;
  std::vector<RouteFit> routes;  // By name; pairs without a route first.
  ServedCounts fitted;           // Every pair at its route's threshold.
  ServedCounts held_out;
  ServedCounts held_out_overall_only;  // Every held-out pair at the overall threshold.

  // The routes with their own threshold.
  std::map<std::string, double> route_thresholds() const;
};

// Fits on the pairs `held_out` leaves out and measures on both parts. InvalidArgument when
// the sizes differ, an option is out of range, or the fit part has no near-miss.
absl::StatusOr<CacheThresholdFit> FitCacheThresholds(absl::Span<const LabelledPair> pairs,
                                                     absl::Span<const PairScore> scores,
                                                     const std::vector<bool>& held_out,
                                                     const ThresholdFitOptions& options);

}  // namespace cascade::cache
