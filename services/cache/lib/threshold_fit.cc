#include "services/cache/lib/threshold_fit.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "services/cache/lib/cache_embedder.h"
#include "services/router/lib/vector_ops.h"

namespace cascade::cache {
namespace {

// Texts embedded at once: bounds the memory of a large pairs file.
constexpr size_t kPairsPerBatch = 2048;
// Thresholds are multiples of 1 / kGridSteps, above an excluded similarity by kMargin.
constexpr double kGridSteps = 10'000;
constexpr double kMargin = 1e-6;

// The smallest grid value >= `value` (less float noise), as parsing its printed form gives.
double GridCeil(double value) { return std::ceil(value * kGridSteps - 1e-9) / kGridSteps; }

}  // namespace

absl::StatusOr<std::vector<PairScore>> ScorePairs(absl::Span<const TextPair> pairs,
                                                  const router::Embedder& embedder,
                                                  const NearMissGuard& guard) {
  std::vector<PairScore> scores;
  scores.reserve(pairs.size());
  for (size_t begin = 0; begin < pairs.size(); begin += kPairsPerBatch) {
    const size_t end = std::min(pairs.size(), begin + kPairsPerBatch);
    std::vector<std::string> texts;
    absl::flat_hash_map<absl::string_view, size_t> row_of;
    for (size_t i = begin; i < end; ++i) {
      for (absl::string_view text : {pairs[i].first, pairs[i].second}) {
        if (row_of.emplace(text, texts.size()).second) texts.emplace_back(text);
      }
    }
    absl::StatusOr<router::Embeddings> embedded = embedder.Embed(texts);
    if (!embedded.ok()) return embedded.status();
    if (embedded->rows() != texts.size()) {
      return absl::InternalError(absl::StrCat("the embedder returned ", embedded->rows(),
                                              " vectors for ", texts.size(), " texts"));
    }
    std::vector<bool> usable(texts.size());
    for (size_t row = 0; row < texts.size(); ++row) {
      usable[row] = IsUnitVector(embedded->row(row), embedded->dimension);
    }
    for (size_t i = begin; i < end; ++i) {
      const size_t a = row_of.at(pairs[i].first);
      const size_t b = row_of.at(pairs[i].second);
      PairScore score;
      if (usable[a] && usable[b]) {
        score.similarity =
            router::InnerProduct(embedded->row(a), embedded->row(b), embedded->dimension);
      }
      score.verdict = guard.Check(pairs[i].first, pairs[i].second);
      scores.push_back(std::move(score));
    }
  }
  return scores;
}

void ServedCounts::Add(bool same, bool served) {
  if (same) {
    ++positives;
    if (served) ++hits;
  } else {
    ++negatives;
    if (served) ++wrong_hits;
  }
}

double ServedCounts::hit_rate() const {
  return positives == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(positives);
}

double ServedCounts::wrong_hit_rate() const {
  return negatives == 0 ? 0.0 : static_cast<double>(wrong_hits) / static_cast<double>(negatives);
}

std::vector<bool> HoldOut(absl::Span<const LabelledPair> pairs, double fraction, uint64_t seed) {
  // Ordered by (route, label), each group in file order: the draw depends on nothing else.
  std::map<std::pair<std::string, bool>, std::vector<size_t>> groups;
  for (size_t i = 0; i < pairs.size(); ++i) groups[{pairs[i].route, pairs[i].same}].push_back(i);
  std::vector<bool> held_out(pairs.size(), false);
  std::mt19937_64 random(seed);
  for (auto& [key, members] : groups) {
    std::shuffle(members.begin(), members.end(), random);
    const size_t count =
        std::min(members.size() - 1, static_cast<size_t>(std::llround(fraction * members.size())));
    for (size_t i = 0; i < count; ++i) held_out[members[i]] = true;
  }
  return held_out;
}

ThresholdFit FitThreshold(absl::Span<const PairScore> negatives,
                          const ThresholdFitOptions& options) {
  ThresholdFit fit;
  fit.negatives = negatives.size();
  fit.allowed_wrong_hits = static_cast<size_t>(
      std::floor(options.max_wrong_hit_rate * static_cast<double>(negatives.size()) + 1e-9));
  std::vector<float> passing;  // The near-misses the guard lets through, most similar first.
  for (const PairScore& score : negatives) {
    if (!score.verdict.refused()) passing.push_back(score.similarity);
  }
  std::sort(passing.begin(), passing.end(), std::greater<float>());
  double threshold = options.min_threshold;
  if (passing.size() > fit.allowed_wrong_hits) {
    // The most similar near-miss that must not be served.
    threshold = std::max(threshold, passing[fit.allowed_wrong_hits] + kMargin);
  }
  fit.threshold = std::min(1.0, GridCeil(threshold));
  for (float similarity : passing) {
    if (similarity >= static_cast<float>(fit.threshold)) ++fit.wrong_hits;
  }
  fit.target_met = fit.wrong_hits <= fit.allowed_wrong_hits;
  return fit;
}

std::map<std::string, double> CacheThresholdFit::route_thresholds() const {
  std::map<std::string, double> thresholds;
  for (const RouteFit& route : routes) {
    if (route.own) thresholds[route.route] = route.threshold;
  }
  return thresholds;
}

absl::StatusOr<CacheThresholdFit> FitCacheThresholds(absl::Span<const LabelledPair> pairs,
                                                     absl::Span<const PairScore> scores,
                                                     const std::vector<bool>& held_out,
                                                     const ThresholdFitOptions& options) {
  if (scores.size() != pairs.size() || held_out.size() != pairs.size()) {
    return absl::InvalidArgumentError(absl::StrCat("threshold fit: ", pairs.size(), " pairs, ",
                                                   scores.size(), " scores and ", held_out.size(),
                                                   " held-out marks"));
  }
  if (!(options.max_wrong_hit_rate >= 0 && options.max_wrong_hit_rate < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "threshold fit: max_wrong_hit_rate must be in [0, 1), got ", options.max_wrong_hit_rate));
  }
  if (!(options.min_threshold > 0 && options.min_threshold <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "threshold fit: min_threshold must be in (0, 1], got ", options.min_threshold));
  }
  // The fit part's near-misses, overall and per route.
  std::vector<PairScore> all_negatives;
  std::map<std::string, std::vector<PairScore>> route_negatives;
  std::map<std::string, RouteFit> routes;
  for (size_t i = 0; i < pairs.size(); ++i) {
    routes[pairs[i].route].route = pairs[i].route;
    if (held_out[i] || pairs[i].same) continue;
    all_negatives.push_back(scores[i]);
    route_negatives[pairs[i].route].push_back(scores[i]);
  }
  if (all_negatives.empty()) {
    return absl::InvalidArgumentError(
        "threshold fit: the fit part has no near-miss (a pair labelled not the same) to fit on");
  }
  CacheThresholdFit result;
  result.overall = FitThreshold(all_negatives, options);
  for (auto& [name, route] : routes) {
    route.threshold = result.overall.threshold;
    const auto negatives = route_negatives.find(name);
    // Pairs without a route use the policy's similarity_threshold: the overall one.
    if (!name.empty() && negatives != route_negatives.end() &&
        negatives->second.size() >= options.min_route_negatives) {
      route.own = true;
      route.fit = FitThreshold(negatives->second, options);
      route.threshold = route.fit.threshold;
    }
  }
  for (size_t i = 0; i < pairs.size(); ++i) {
    RouteFit& route = routes.at(pairs[i].route);
    const bool served = scores[i].ServedAt(route.threshold);
    if (held_out[i]) {
      route.held_out.Add(pairs[i].same, served);
      result.held_out.Add(pairs[i].same, served);
      result.held_out_overall_only.Add(pairs[i].same, scores[i].ServedAt(result.overall.threshold));
    } else {
      route.fitted.Add(pairs[i].same, served);
      result.fitted.Add(pairs[i].same, served);
    }
  }
  for (auto& [name, route] : routes) result.routes.push_back(std::move(route));
  return result;
}

}  // namespace cascade::cache
