// cascadectl: the Cascade command-line tool.
//
//   cascadectl routes fit --data labeled.jsonl --routes routes.yaml [--out FILE] [--json]
//   cascadectl route "TEXT" --router ADDR [--json]
//   cascadectl routes list --router ADDR [--json]
//   cascadectl routes learn --outcomes FILE --policy NAME --router ADDR [--json]
//   cascadectl judge calibrate FILE.jsonl [--train-fraction F] [--seed N] [--json]
//   cascadectl ask "TEXT" --orchestrator ADDR [--policy P] [--json]
//   cascadectl replay FILE.jsonl --orchestrator ADDR [--concurrency N] [--json]
//   cascadectl health --orchestrator A --router A ... [--json]
//   cascadectl cache stats --orchestrator ADDR [--policy P] [--tenant T] [--json]
//   cascadectl cache purge --orchestrator ADDR (--policy P | --tenant T | --older-than D | --all)
//   cascadectl cache fit --pairs PAIRS.jsonl [--max-wrong-hit-rate X] [--out FILE] [--json]
//   cascadectl cost --requests N --input-tokens N --output-tokens N --tier ... --mix ...

#include <iostream>
#include <string>
#include <vector>

#include "tools/cascadectl/cache_commands.h"
#include "tools/cascadectl/cascade_client_commands.h"
#include "tools/cascadectl/cost_command.h"
#include "tools/cascadectl/judge_calibrate_command.h"
#include "tools/cascadectl/log_command.h"
#include "tools/cascadectl/outcomes_command.h"
#include "tools/cascadectl/policy_command.h"
#include "tools/cascadectl/router_client_commands.h"
#include "tools/cascadectl/routes_fit_command.h"

namespace {

constexpr char kUsage[] = R"(usage: cascadectl COMMAND [ARGS] [--json]

commands:
  routes fit --data LABELED.jsonl --routes ROUTES.yaml [--out FILE]
                               fit route thresholds on labeled queries and write them into
                               the routes file
  routes list --router ADDR    the routes a running cascade-router serves
  routes learn --outcomes FILE --policy NAME --router ADDR
                               teach the router how each tier did on past queries, for
                               policies with `start: learned`
  route "TEXT" --router ADDR   what a running cascade-router decides for TEXT
  judge calibrate FILE.jsonl   fit the judge's calibration maps on labeled answers; held-out
                               AUC, Brier and ECE before and after
  ask "TEXT" --orchestrator ADDR
                               TEXT through the cascade: the answer and its trace
  replay FILE.jsonl --orchestrator ADDR
                               many prompts through the cascade: share per tier, cost,
                               baseline, savings, latency percentiles
  health --orchestrator A --router A ...
                               grpc.health of every service named (exit 1 if one is down)
  cache stats --orchestrator ADDR [--policy P] [--tenant T]
                               the orchestrator's answer cache per policy: answers held,
                               memory, hits, misses, evictions, expirations, purges
  cache purge --orchestrator ADDR (--policy P | --tenant T | --older-than D | --all)
                               remove answers from the orchestrator's answer cache now
  cache fit --pairs PAIRS.jsonl [--max-wrong-hit-rate 0.005] [--out SNIPPET.yaml]
                               fit the semantic cache's similarity thresholds, overall and
                               per route, on labelled pairs; held-out hit and wrong-hit rates
  cost --requests N --input-tokens N --output-tokens N --tier NAME=IN:OUT ... --mix ...
                               monthly cost: monolith, routed, cascade, and the saving
  outcomes summary FILE [--prices PRICES.yaml]
                               recorded answers of models, per model: accuracy, signals,
                               tokens and cost
  log to-outcomes LOG.jsonl    the orchestrator's decision log as an outcomes file
  policy eval --outcomes F --prices P --policy POLICY.yaml
                               what a cascade policy does on recorded queries: quality
                               against the top model alone, cost, share per tier

`cascadectl COMMAND --help` describes a command's options. --json prints JSON.
Exit codes: 0 success, 1 the command failed, 2 a usage error.
)";

int UsageError(const std::string& message) {
  std::cerr << "cascadectl: " << message << "\n\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return UsageError("no command given");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (args[0] == "route") {
    return cascade::cli::RunRoute({args.begin() + 1, args.end()}, std::cout, std::cerr);
  }
  const std::vector<std::string> rest_of_args(args.begin() + 1, args.end());
  if (args[0] == "ask") return cascade::cli::RunAsk(rest_of_args, std::cout, std::cerr);
  if (args[0] == "replay") return cascade::cli::RunReplay(rest_of_args, std::cout, std::cerr);
  if (args[0] == "health") return cascade::cli::RunHealth(rest_of_args, std::cout, std::cerr);
  if (args[0] == "cache") return cascade::cli::RunCache(rest_of_args, std::cout, std::cerr);
  if (args[0] == "cost") return cascade::cli::RunCost(rest_of_args, std::cout, std::cerr);
  if (args[0] == "outcomes") return cascade::cli::RunOutcomes(rest_of_args, std::cout, std::cerr);
  if (args[0] == "log") return cascade::cli::RunLog(rest_of_args, std::cout, std::cerr);
  if (args[0] == "policy") return cascade::cli::RunPolicy(rest_of_args, std::cout, std::cerr);
  if (args[0] == "judge") {
    if (args.size() < 2 || args[1] != "calibrate") {
      return UsageError("'judge' needs a subcommand: calibrate");
    }
    return cascade::cli::RunJudgeCalibrate({args.begin() + 2, args.end()}, std::cout, std::cerr);
  }
  if (args[0] == "routes") {
    if (args.size() < 2) return UsageError("'routes' needs a subcommand: fit, list or learn");
    const std::vector<std::string> rest(args.begin() + 2, args.end());
    if (args[1] == "fit") return cascade::cli::RunRoutesFit(rest, std::cout, std::cerr);
    if (args[1] == "list") return cascade::cli::RunRoutesList(rest, std::cout, std::cerr);
    if (args[1] == "learn") return cascade::cli::RunRoutesLearn(rest, std::cout, std::cerr);
    return UsageError("unknown subcommand 'routes " + args[1] + "'");
  }
  return UsageError("unknown command '" + args[0] + "'");
}
