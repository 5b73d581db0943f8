// cascade-routing-eval: the router's learned per-tier estimate judged as a weak/strong router
// with RouteLLM's metrics (APGR, CPT), 2-fold on a recorded outcomes file
// (tools/routing_eval/routing_eval.h).

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "common/outcomes/outcomes.h"
#include "nlohmann/json.hpp"
#include "tools/routing_eval/routing_eval.h"

namespace cascade::routing_eval {
namespace {

constexpr char kUsage[] =
    R"(usage: cascade-routing-eval --outcomes FILE [--weak MODEL] [--strong MODEL]
                            [--neighbours K] [--seed N] [--json]

Judges the router's learned per-tier success estimate as a router between a weak and a
strong model, with RouteLLM's metrics, by 2-fold cross-validation on recorded outcomes:
the records are split in two halves by a hash of (seed, record id); an estimator built
from one half scores the other, and the reverse.

  --outcomes FILE   outcomes JSONL (docs/outcomes.md)
  --weak MODEL      default: the first model of the first record
  --strong MODEL    default: the last model of the first record
  --neighbours K    the estimator's nearest exemplars per query (default 32)
  --seed N          of the split (default 0)
  --json            one JSON object instead of the table

Routers: random (a constant score), learned (gain) p_strong - p_weak, learned (1-p_weak),
and the oracle q_strong - q_weak. APGR: area under the performance-gap-recovered curve
over the share of strong calls (random 0.5); CPT(p): the share of strong calls at which
PGR reaches p.
)";

struct Row {
  const char* name;
  const char* key;
  RouterMetrics FoldResult::*metrics;
};
constexpr Row kRows[] = {{"random", "random", &FoldResult::random},
                         {"learned (gain)", "gain", &FoldResult::gain},
                         {"learned (1-p_weak)", "one_minus_p_weak", &FoldResult::one_minus_p_weak},
                         {"oracle", "oracle", &FoldResult::oracle}};

nlohmann::json FoldJson(const FoldResult& fold) {
  nlohmann::json json = {{"train", fold.train},
                         {"test", fold.test},
                         {"weak_accuracy", fold.weak_accuracy},
                         {"strong_accuracy", fold.strong_accuracy},
                         {"build_seconds", fold.build_seconds},
                         {"score_seconds", fold.score_seconds}};
  for (const Row& row : kRows) {
    const RouterMetrics& metrics = fold.*row.metrics;
    json["routers"][row.key] = {
        {"apgr", metrics.apgr}, {"cpt50", metrics.cpt50}, {"cpt80", metrics.cpt80}};
  }
  return json;
}

void PrintFold(const std::string& title, const FoldResult& fold) {
  std::printf(
      "%s: train %zu, test %zu; test accuracy weak %.4f, strong %.4f; build %.3f s, "
      "score %.3f s\n",
      title.c_str(), fold.train, fold.test, fold.weak_accuracy, fold.strong_accuracy,
      fold.build_seconds, fold.score_seconds);
  std::printf("  %-20s %8s %9s %9s\n", "router", "APGR", "CPT(50%)", "CPT(80%)");
  for (const Row& row : kRows) {
    const RouterMetrics& metrics = fold.*row.metrics;
    std::printf("  %-20s %8.4f %9.4f %9.4f\n", row.name, metrics.apgr, metrics.cpt50,
                metrics.cpt80);
  }
}

int Run(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--json") {
      json = true;
      continue;
    }
    const size_t equals = arg.find('=');
    const std::string name(arg.substr(0, equals));
    if (name != "--outcomes" && name != "--weak" && name != "--strong" && name != "--neighbours" &&
        name != "--seed") {
      std::fprintf(stderr, "unknown argument %s\n\n%s", argv[i], kUsage);
      return 2;
    }
    if (equals != absl::string_view::npos) {
      flags[name] = std::string(arg.substr(equals + 1));
    } else if (i + 1 < argc) {
      flags[name] = argv[++i];
    } else {
      std::fprintf(stderr, "%s needs a value\n", name.c_str());
      return 2;
    }
  }
  if (!flags.count("--outcomes")) {
    std::fprintf(stderr, "--outcomes is required\n\n%s", kUsage);
    return 2;
  }
  RoutingEvalOptions options;
  options.weak = flags["--weak"];
  options.strong = flags["--strong"];
  if (flags.count("--neighbours") &&
      !absl::SimpleAtoi(flags["--neighbours"], &options.neighbours)) {
    std::fprintf(stderr, "--neighbours: not an integer: %s\n", flags["--neighbours"].c_str());
    return 2;
  }
  if (flags.count("--seed") && !absl::SimpleAtoi(flags["--seed"], &options.seed)) {
    std::fprintf(stderr, "--seed: not an integer >= 0: %s\n", flags["--seed"].c_str());
    return 2;
  }

  absl::StatusOr<std::vector<outcomes::OutcomeRecord>> records =
      outcomes::ReadOutcomesFile(flags["--outcomes"]);
  if (!records.ok()) {
    std::fprintf(stderr, "%s\n", records.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<RoutingEvalResult> result = EvaluateRouting(*records, options);
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.status().ToString().c_str());
    return 1;
  }

  if (json) {
    nlohmann::json out = {{"outcomes", flags["--outcomes"]},
                          {"weak", result->weak},
                          {"strong", result->strong},
                          {"neighbours", options.neighbours},
                          {"seed", options.seed},
                          {"records", result->records},
                          {"skipped", result->skipped},
                          {"folds", nlohmann::json::array()},
                          {"mean", FoldJson(result->mean)}};
    for (const FoldResult& fold : result->folds) out["folds"].push_back(FoldJson(fold));
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf(
      "outcomes %s: %zu records, %zu skipped (no graded answer of both models or no "
      "user message)\n",
      flags["--outcomes"].c_str(), result->records, result->skipped);
  std::printf("weak %s, strong %s; neighbours %d, seed %llu\n", result->weak.c_str(),
              result->strong.c_str(), options.neighbours,
              static_cast<unsigned long long>(options.seed));
  for (size_t f = 0; f < result->folds.size(); ++f) {
    PrintFold(absl::StrFormat("fold %d (learn on half %c, score half %c)", f + 1,
                              f == 0 ? 'A' : 'B', f == 0 ? 'B' : 'A'),
              result->folds[f]);
  }
  PrintFold("mean of the folds", result->mean);
  return 0;
}

}  // namespace
}  // namespace cascade::routing_eval

int main(int argc, char** argv) { return cascade::routing_eval::Run(argc, argv); }
