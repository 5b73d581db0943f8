// cascade-bench-policy-fit: how long `cascadectl policy fit` takes (the goal: 5 tiers x 2
// signals on 2,000 queries in under a minute on 2 cores). A synthetic five-model ladder
// with answer logprobs and a self-check per answer; the baseline in the same run is one
// simulation of every candidate on every query (what a naive grid search costs): both
// signals alone and their combination.
//
//   cascade-bench-policy-fit [--queries=2000] [--models=5]

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tools/policy/policy_fitter.h"

namespace cascade::policy {
namespace {

QueryTable Synthetic(int queries, int models) {
  std::mt19937_64 random(11);
  std::uniform_real_distribution<double> uniform(0, 1);
  QueryTable table;
  for (int m = 0; m < models; ++m) table.models.push_back(absl::StrCat("m", m));
  for (int q = 0; q < queries; ++q) {
    std::vector<ModelAnswer> row;
    for (int m = 0; m < models; ++m) {
      ModelAnswer answer;
      const bool right = uniform(random) < 0.5 + 0.1 * m;
      answer.quality = right ? 1 : 0;
      answer.cost_pusd = 100 * (1 << (2 * m));
      answer.self_check_cost_pusd = answer.cost_pusd / 2;
      const double logprob = right ? -0.3 * uniform(random) : -2.0 * uniform(random);
      answer.signals[static_cast<int>(SignalKind::kLogprobMean)] = logprob;
      answer.signals[static_cast<int>(SignalKind::kSelfCheck)] =
          right ? 0.5 + 0.5 * uniform(random) : uniform(random);
      row.push_back(answer);
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

double SecondsOf(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace
}  // namespace cascade::policy

int main(int argc, char** argv) {
  int queries = 2000;
  int models = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const std::string value = arg.substr(arg.find('=') + 1);
    bool ok = false;
    if (arg.rfind("--queries=", 0) == 0) ok = absl::SimpleAtoi(value, &queries) && queries >= 20;
    if (arg.rfind("--models=", 0) == 0) ok = absl::SimpleAtoi(value, &models) && models >= 2;
    if (!ok) {
      std::fprintf(stderr, "usage: %s [--queries=N>=20] [--models=N>=2]\n", argv[0]);
      return 2;
    }
  }
  using namespace cascade::policy;
  const QueryTable table = Synthetic(queries, models);
  FitOptions options;
  options.max_quality_drop = 0.02;
  absl::StatusOr<FitResult> fit;
  const double fit_seconds = SecondsOf([&] { fit = FitPolicy(table, options); });
  if (!fit.ok()) {
    std::fprintf(stderr, "%s\n", fit.status().ToString().c_str());
    return 1;
  }
  // The baseline: every candidate (ladder x signal x target) simulated once on every query.
  std::vector<int> all(table.rows.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  int candidates = 0;
  const double grid_seconds = SecondsOf([&] {
    for (uint32_t mask = 1; mask < (1u << (models - 1)); ++mask) {
      for (SignalKind kind :
           {SignalKind::kLogprobMean, SignalKind::kSelfCheck, SignalKind::kCombined}) {
        for (double target : options.targets) {
          Candidate candidate;
          candidate.kind = kind;
          candidate.target = target;
          for (int m = 0; m + 1 < models; ++m) {
            if (mask & (1u << m)) {
              candidate.ladder.push_back(m);
              if (kind == SignalKind::kCombined) {
                candidate.combinations.push_back(
                    {1.0, {{SignalKind::kLogprobMean, 2.0}, {SignalKind::kSelfCheck, 0.5}}});
              } else {
                candidate.raw_thresholds.push_back(
                    kind == SignalKind::kSelfCheck ? target : std::log(target));
              }
            }
          }
          candidate.ladder.push_back(models - 1);
          Simulate(table, candidate, all);
          ++candidates;
        }
      }
    }
  });
  std::printf("Policy fit, %d queries, %d models, 2 signals and their combination, %zu targets\n",
              queries, models, options.targets.size());
  std::printf("%-44s %10s\n", "step", "seconds");
  std::printf("%-44s %10.3f\n", "cascadectl policy fit (FitPolicy)", fit_seconds);
  std::printf("%-44s %10.3f\n",
              absl::StrCat("baseline: ", candidates, " candidates simulated once").c_str(),
              grid_seconds);
  std::printf("tested %zu candidates, chose %s\n", fit->sequence.size(),
              fit->chosen ? "a cascade" : "the top model alone");
  return 0;
}
