#include "tools/cascadectl/policy_command.h"

#include <map>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/config/config_loader.h"
#include "common/log/logger.h"
#include "common/outcomes/outcomes.h"
#include "common/outcomes/prices.h"
#include "nlohmann/json.hpp"
#include "tools/cascadectl/command_args.h"
#include "tools/policy/policy_evaluation.h"

namespace cascade::cli {
namespace {

int UsageError(std::ostream& err, absl::string_view message) {
  err << "cascadectl policy: " << message << "\n\n" << kPolicyUsage;
  return 2;
}

int Failed(std::ostream& err, absl::string_view message) {
  err << "cascadectl policy: " << message << "\n";
  return 1;
}

nlohmann::json EvaluationJson(const policy::PolicyEvaluation& e) {
  nlohmann::json tiers = nlohmann::json::array();
  for (const auto& [tier, count] : e.final_tiers) {
    tiers.push_back({{"tier", tier},
                     {"queries", count},
                     {"share", e.queries > 0 ? static_cast<double>(count) / e.queries : 0.0}});
  }
  return {{"queries", e.queries},
          {"graded", e.graded},
          {"quality", e.quality()},
          {"top_model", e.top_model},
          {"top_quality", e.top_quality()},
          {"quality_drop", e.top_quality() - e.quality()},
          {"cost_pusd", e.cost_pusd},
          {"top_cost_pusd", e.top_cost_pusd},
          {"cost_ratio", e.cost_ratio()},
          {"final_tiers", tiers},
          {"errors", e.errors}};
}

void PrintEvaluation(const policy::PolicyEvaluation& e, std::ostream& out) {
  out << absl::StrFormat("%d queries (%d graded)\n", e.queries, e.graded);
  out << absl::StrFormat("quality %.4f, the top model (%s) alone %.4f: drop %+.4f\n", e.quality(),
                         e.top_model, e.top_quality(), e.top_quality() - e.quality());
  out << absl::StrFormat("cost $%.6f, the top model alone $%.6f: %.3f of it\n",
                         static_cast<double>(e.cost_pusd) / 1e12,
                         static_cast<double>(e.top_cost_pusd) / 1e12, e.cost_ratio());
  out << absl::StrFormat("%-24s %8s %7s\n", "FINAL TIER", "QUERIES", "SHARE");
  for (const auto& [tier, count] : e.final_tiers) {
    out << absl::StrFormat("%-24s %8d %6.1f%%\n", tier, count,
                           e.queries > 0 ? 100.0 * count / e.queries : 0.0);
  }
  for (const auto& [code, count] : e.errors) {
    out << absl::StrFormat("failed %-17s %8d\n", code, count);
  }
}

int RunEval(const CommandArgs& args, std::ostream& out, std::ostream& err) {
  for (const char* flag : {"outcomes", "prices", "policy"}) {
    if (!args.Value(flag)) return UsageError(err, absl::StrCat("--", flag, " is required"));
  }
  std::map<std::string, std::string> tier_models;
  for (const std::string& pair : args.Values("tier-name")) {
    std::vector<std::string> parts = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      return UsageError(err, absl::StrCat("--tier-name '", pair, "' must be MODEL=TIER"));
    }
    tier_models[parts[1]] = parts[0];
  }
  auto records = outcomes::ReadOutcomesFile(*args.Value("outcomes"));
  if (!records.ok()) return Failed(err, records.status().message());
  auto prices = outcomes::ReadPricesFile(*args.Value("prices"));
  if (!prices.ok()) return Failed(err, prices.status().message());
  v1::CascadePolicyConfig policy;
  if (absl::Status loaded = LoadConfigFile(*args.Value("policy"), &policy); !loaded.ok()) {
    return Failed(err, loaded.message());
  }
  // The cascade's own per-request log lines are not this command's output.
  Logger::Configure("cascadectl", LogLevel::kError);
  auto evaluation = policy::EvaluatePolicy(*records, *prices, policy, tier_models);
  if (!evaluation.ok()) {
    return Failed(err, absl::StrCat(*args.Value("policy"), ": ", evaluation.status().message()));
  }
  if (args.Has("json")) {
    out << EvaluationJson(*evaluation).dump(2) << "\n";
  } else {
    PrintEvaluation(*evaluation, out);
  }
  return evaluation->errors.empty() ? 0 : 1;
}

}  // namespace

int RunPolicy(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<CommandArgs> args =
      CommandArgs::Parse(raw_args, {"outcomes", "prices", "policy", "tier-name"}, {"json", "help"});
  if (!args.ok()) return UsageError(err, args.status().message());
  if (args->Has("help")) {
    out << kPolicyUsage;
    return 0;
  }
  if (args->positionals().size() != 1 || args->positionals()[0] != "eval") {
    return UsageError(err, "give a subcommand: eval");
  }
  return RunEval(*args, out, err);
}

}  // namespace cascade::cli
