#include "tools/routing_eval/routing_eval.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/router/lib/tier_success_estimator.h"
#include "tools/routing_eval/routing_gain_curve.h"

namespace cascade::routing_eval {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

absl::StatusOr<RouterMetrics> Metrics(const std::vector<double>& weak,
                                      const std::vector<double>& strong,
                                      const std::vector<double>& score) {
  absl::StatusOr<GainCurve> curve = ComputeGainCurve(weak, strong, score);
  if (!curve.ok()) return curve.status();
  RouterMetrics metrics;
  metrics.apgr = curve->apgr;
  absl::StatusOr<double> cpt50 = CallPerformanceThreshold(*curve, 0.5);
  if (!cpt50.ok()) return cpt50.status();
  absl::StatusOr<double> cpt80 = CallPerformanceThreshold(*curve, 0.8);
  if (!cpt80.ok()) return cpt80.status();
  metrics.cpt50 = *cpt50;
  metrics.cpt80 = *cpt80;
  return metrics;
}

// Learns from `train`, scores `test`.
absl::StatusOr<FoldResult> RunFold(const std::vector<router::OutcomeExemplar>& train,
                                   const std::vector<router::OutcomeExemplar>& test,
                                   const RoutingEvalOptions& options) {
  FoldResult fold;
  fold.train = train.size();
  fold.test = test.size();
  router::TierEstimatorOptions estimator_options;
  estimator_options.neighbours = options.neighbours;
  const Clock::time_point build_start = Clock::now();
  absl::StatusOr<std::shared_ptr<const router::TierSuccessEstimator>> estimator =
      router::TierSuccessEstimator::Build(train, estimator_options);
  if (!estimator.ok()) return estimator.status();
  fold.build_seconds = Seconds(build_start);

  std::vector<double> weak, strong, gain, one_minus_p_weak;
  const Clock::time_point score_start = Clock::now();
  for (const router::OutcomeExemplar& query : test) {
    absl::StatusOr<std::vector<router::TierEstimate>> estimates =
        (*estimator)->Estimate(query.query);
    if (!estimates.ok()) return estimates.status();
    double p_weak = -1.0, p_strong = -1.0;
    for (const router::TierEstimate& estimate : *estimates) {
      if (estimate.tier == options.weak) p_weak = estimate.probability;
      if (estimate.tier == options.strong) p_strong = estimate.probability;
    }
    if (p_weak < 0.0 || p_strong < 0.0) {
      return absl::InternalError("the estimator has no estimate for the weak or strong model");
    }
    gain.push_back(p_strong - p_weak);
    one_minus_p_weak.push_back(1.0 - p_weak);
    weak.push_back(query.tier_quality.at(options.weak));
    strong.push_back(query.tier_quality.at(options.strong));
  }
  fold.score_seconds = Seconds(score_start);

  const std::vector<double> constant(test.size(), 0.0);
  const std::pair<RouterMetrics*, const std::vector<double>*> routers[] = {
      {&fold.random, &constant}, {&fold.gain, &gain}, {&fold.one_minus_p_weak, &one_minus_p_weak}};
  for (const auto& [metrics, score] : routers) {
    absl::StatusOr<RouterMetrics> computed = Metrics(weak, strong, *score);
    if (!computed.ok()) return computed.status();
    *metrics = *computed;
  }
  absl::StatusOr<RouterMetrics> oracle = Metrics(weak, strong, OracleScores(weak, strong));
  if (!oracle.ok()) return oracle.status();
  fold.oracle = *oracle;
  absl::StatusOr<GainCurve> curve = ComputeGainCurve(weak, strong, constant);
  if (!curve.ok()) return curve.status();
  fold.weak_accuracy = curve->weak_quality;
  fold.strong_accuracy = curve->strong_quality;
  return fold;
}

void AddScaled(const RouterMetrics& from, double scale, RouterMetrics& to) {
  to.apgr += from.apgr * scale;
  to.cpt50 += from.cpt50 * scale;
  to.cpt80 += from.cpt80 * scale;
}

FoldResult Mean(const std::vector<FoldResult>& folds) {
  FoldResult mean;
  const double scale = 1.0 / static_cast<double>(folds.size());
  for (const FoldResult& fold : folds) {
    mean.train += fold.train;
    mean.test += fold.test;
    mean.weak_accuracy += fold.weak_accuracy * scale;
    mean.strong_accuracy += fold.strong_accuracy * scale;
    mean.build_seconds += fold.build_seconds * scale;
    mean.score_seconds += fold.score_seconds * scale;
    AddScaled(fold.random, scale, mean.random);
    AddScaled(fold.gain, scale, mean.gain);
    AddScaled(fold.one_minus_p_weak, scale, mean.one_minus_p_weak);
    AddScaled(fold.oracle, scale, mean.oracle);
  }
  mean.train /= folds.size();
  mean.test /= folds.size();
  return mean;
}

}  // namespace

uint64_t SplitHash(uint64_t seed, absl::string_view record_id) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a, 64-bit.
  auto mix_byte = [&hash](unsigned char byte) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  };
  for (int shift = 0; shift < 64; shift += 8) mix_byte(static_cast<unsigned char>(seed >> shift));
  for (char c : record_id) mix_byte(static_cast<unsigned char>(c));
  // splitmix64's finaliser: every input bit reaches every output bit.
  hash ^= hash >> 30;
  hash *= 0xbf58476d1ce4e5b9ULL;
  hash ^= hash >> 27;
  hash *= 0x94d049bb133111ebULL;
  hash ^= hash >> 31;
  return hash;
}

std::optional<router::OutcomeExemplar> ExemplarFromRecord(const outcomes::OutcomeRecord& record,
                                                          const std::string& weak,
                                                          const std::string& strong) {
  const outcomes::ModelOutcome* weak_outcome = record.Find(weak);
  const outcomes::ModelOutcome* strong_outcome = record.Find(strong);
  if (weak_outcome == nullptr || strong_outcome == nullptr) return std::nullopt;
  const std::optional<double> weak_quality = weak_outcome->Quality();
  const std::optional<double> strong_quality = strong_outcome->Quality();
  if (!weak_quality || !strong_quality) return std::nullopt;
  router::OutcomeExemplar exemplar;
  for (const v1::ChatMessage& message : record.messages) {
    if (message.role() == "user") exemplar.query = message.content();
  }
  if (exemplar.query.empty()) return std::nullopt;
  exemplar.key = outcomes::MessagesKey(record.messages);
  exemplar.tier_quality = {{weak, *weak_quality}, {strong, *strong_quality}};
  return exemplar;
}

absl::StatusOr<RoutingEvalResult> EvaluateRouting(
    const std::vector<outcomes::OutcomeRecord>& records, const RoutingEvalOptions& options) {
  if (records.empty()) return absl::InvalidArgumentError("no outcome records");
  if (options.neighbours < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("neighbours must be >= 1, not ", options.neighbours));
  }
  RoutingEvalResult result;
  RoutingEvalOptions resolved = options;
  const auto& first_models = records.front().models;
  if (first_models.empty()) return absl::InvalidArgumentError("the first record has no models");
  if (resolved.weak.empty()) resolved.weak = first_models.front().first;
  if (resolved.strong.empty()) resolved.strong = first_models.back().first;
  if (resolved.weak == resolved.strong) {
    return absl::InvalidArgumentError(
        absl::StrCat("the weak and the strong model are both ", resolved.weak));
  }
  for (const std::string* model : {&resolved.weak, &resolved.strong}) {
    const bool known = std::any_of(records.begin(), records.end(),
                                   [&](const auto& record) { return record.Find(*model); });
    if (!known) {
      std::vector<std::string> names;
      for (const auto& [name, outcome] : first_models) names.push_back(name);
      return absl::InvalidArgumentError(
          absl::StrCat("no record has model ", *model,
                       "; the first record's models: ", absl::StrJoin(names, ", ")));
    }
  }
  result.weak = resolved.weak;
  result.strong = resolved.strong;
  result.records = records.size();

  // Usable records in hash order: the first half is A, the rest B.
  std::vector<std::pair<std::pair<uint64_t, std::string>, router::OutcomeExemplar>> usable;
  for (const outcomes::OutcomeRecord& record : records) {
    std::optional<router::OutcomeExemplar> exemplar =
        ExemplarFromRecord(record, resolved.weak, resolved.strong);
    if (!exemplar) {
      ++result.skipped;
      continue;
    }
    usable.push_back({{SplitHash(resolved.seed, record.id), record.id}, std::move(*exemplar)});
  }
  if (usable.size() < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("only ", usable.size(), " records have graded answers of both ", resolved.weak,
                     " and ", resolved.strong, ": at least 4 are needed to split"));
  }
  std::sort(usable.begin(), usable.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<router::OutcomeExemplar> halves[2];
  for (size_t i = 0; i < usable.size(); ++i) {
    halves[i < usable.size() / 2 ? 0 : 1].push_back(std::move(usable[i].second));
  }
  for (int train = 0; train < 2; ++train) {
    absl::StatusOr<FoldResult> fold = RunFold(halves[train], halves[1 - train], resolved);
    if (!fold.ok()) {
      return absl::Status(fold.status().code(),
                          absl::StrCat("fold ", train + 1, ": ", fold.status().message()));
    }
    result.folds.push_back(*fold);
  }
  result.mean = Mean(result.folds);
  return result;
}

}  // namespace cascade::routing_eval
