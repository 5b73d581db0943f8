#include "tools/cascadectl/cost_command.h"

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tools/cascadectl/command_args.h"
#include "tools/cascadectl/cost_planner.h"

namespace cascade::cli {
namespace {

int UsageError(std::ostream& err, absl::string_view message) {
  err << "cascadectl cost: " << message << "\n\n" << kCostUsage;
  return 2;
}

absl::StatusOr<int64_t> Count(const CommandArgs& args, const std::string& name) {
  absl::StatusOr<std::string> text = args.Required(name);
  if (!text.ok()) return text.status();
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, " must be a non-negative integer, not '", *text, "'"));
  }
  return value;
}

// The mix a `cascadectl policy fit --json` report gives: the chosen policy's share of
// training queries answered at each tier of its ladder (the top model alone when none was
// chosen). The --tier flags must be that ladder, in order.
absl::StatusOr<std::string> MixFromFit(const std::string& path,
                                       const std::vector<PlannedTier>& tiers) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--mix-from: cannot open ", path));
  nlohmann::json fit = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (fit.is_discarded() || !fit.contains("sequence") || !fit.contains("top_model")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--mix-from ", path, " is not the JSON of `cascadectl policy fit --json`"));
  }
  std::vector<std::string> ladder;
  std::vector<double> shares;
  if (fit["chosen"].is_number_integer()) {
    const nlohmann::json& chosen = fit["sequence"].at(fit["chosen"].get<size_t>());
    ladder = chosen["ladder"].get<std::vector<std::string>>();
    shares = chosen["training"]["final_share"].get<std::vector<double>>();
  } else {
    ladder = {fit["top_model"].get<std::string>()};
    shares = {1.0};
  }
  std::vector<std::string> names;
  for (const PlannedTier& tier : tiers) names.push_back(tier.name);
  if (names != ladder) {
    return absl::InvalidArgumentError(
        absl::StrCat("--mix-from: the fitted ladder is ", absl::StrJoin(ladder, " > "),
                     ": give one --tier for each of those models, in that order"));
  }
  // In millionths, the last taking what rounding left so that the shares add up to 1.
  std::string mix;
  int64_t given = 0;
  for (size_t i = 0; i < ladder.size(); ++i) {
    const int64_t ppm = i + 1 == ladder.size()
                            ? 1'000'000 - given
                            : static_cast<int64_t>(std::llround(shares[i] * 1e6));
    given += ppm;
    absl::StrAppend(&mix, mix.empty() ? "" : ",", ladder[i], "=",
                    absl::StrFormat("%d.%06d", ppm / 1'000'000, ppm % 1'000'000));
  }
  return mix;
}

absl::StatusOr<std::string> MixOf(const CommandArgs& args, const std::vector<PlannedTier>& tiers) {
  if (args.Has("mix") == args.Has("mix-from")) {
    return absl::InvalidArgumentError("give --mix or --mix-from (one of them)");
  }
  if (std::optional<std::string> from = args.Value("mix-from")) return MixFromFit(*from, tiers);
  return *args.Value("mix");
}

absl::StatusOr<CostPlanInput> ReadInput(const CommandArgs& args) {
  CostPlanInput input;
  for (auto [name, field] :
       {std::pair{"requests", &input.requests}, std::pair{"input-tokens", &input.input_tokens},
        std::pair{"output-tokens", &input.output_tokens}}) {
    absl::StatusOr<int64_t> value = Count(args, name);
    if (!value.ok()) return value.status();
    *field = *value;
  }
  for (const std::string& spec : args.Values("tier")) {
    std::pair<std::string, std::string> name_prices = absl::StrSplit(spec, absl::MaxSplits('=', 1));
    std::pair<std::string, std::string> prices = absl::StrSplit(name_prices.second, ':');
    absl::StatusOr<int64_t> in = ParseMillionths(prices.first);
    absl::StatusOr<int64_t> out = ParseMillionths(prices.second);
    if (name_prices.first.empty() || !in.ok() || !out.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tier '", spec,
                       "' must be NAME=IN:OUT in USD per million tokens, e.g. small=0.30:0.60"));
    }
    input.tiers.push_back({name_prices.first, *in, *out, 0});
  }
  if (input.tiers.empty()) return absl::InvalidArgumentError("give at least one --tier");
  absl::StatusOr<std::string> mix = MixOf(args, input.tiers);
  if (!mix.ok()) return mix.status();
  for (absl::string_view item : absl::StrSplit(*mix, ',', absl::SkipWhitespace())) {
    std::pair<std::string, std::string> name_share = absl::StrSplit(item, absl::MaxSplits('=', 1));
    absl::StatusOr<int64_t> share = ParseMillionths(name_share.second);
    if (!share.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--mix '", item, "' must be NAME=SHARE with SHARE between 0 and 1"));
    }
    bool found = false;
    for (PlannedTier& tier : input.tiers) {
      if (tier.name == name_share.first) {
        tier.final_share_ppm = *share;
        found = true;
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat("--mix names '", name_share.first, "', which no --tier defines"));
    }
  }
  if (std::optional<std::string> routed = args.Value("routed-share")) {
    absl::StatusOr<int64_t> ppm = ParseMillionths(*routed);
    if (!ppm.ok()) return absl::InvalidArgumentError("--routed-share must be between 0 and 1");
    input.routed_ppm = *ppm;
  }
  if (std::optional<std::string> judge = args.Value("judge-usd")) {
    // USD with up to 6 decimals -> micro-USD -> pico-USD.
    absl::StatusOr<int64_t> micro = ParseMillionths(*judge);
    if (!micro.ok()) return absl::InvalidArgumentError("--judge-usd must be a USD amount");
    input.judge_pusd_per_call = *micro * 1'000'000;
  }
  return input;
}

}  // namespace

int RunCost(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<CommandArgs> args =
      CommandArgs::Parse(raw_args,
                         {"requests", "input-tokens", "output-tokens", "tier", "mix", "mix-from",
                          "routed-share", "judge-usd"},
                         {"json", "help"});
  if (!args.ok()) return UsageError(err, args.status().message());
  if (args->Has("help")) {
    out << kCostUsage;
    return 0;
  }
  if (!args->positionals().empty()) return UsageError(err, "takes no positional arguments");
  absl::StatusOr<CostPlanInput> input = ReadInput(*args);
  if (!input.ok()) return UsageError(err, input.status().message());
  absl::StatusOr<CostPlan> plan = PlanCost(*input);
  if (!plan.ok()) return UsageError(err, plan.status().message());

  const std::string& top = input->tiers.back().name;
  if (args->Has("json")) {
    nlohmann::json tiers = nlohmann::json::array();
    for (size_t i = 0; i < input->tiers.size(); ++i) {
      tiers.push_back(
          {{"tier", input->tiers[i].name}, {"answered_requests", plan->answered_per_tier[i]}});
    }
    nlohmann::json json = {
        {"monolith_pusd", plan->monolith_pusd},
        {"routed_pusd", plan->routed_pusd},
        {"cascade_pusd", plan->cascade_pusd},
        {"cascade_final_answers_pusd", plan->cascade_final_answers_pusd},
        {"cascade_rejected_attempts_pusd", plan->cascade_rejected_attempts_pusd},
        {"cascade_judge_pusd", plan->cascade_judge_pusd},
        {"routed_saved_percent", SavedPercent(plan->monolith_pusd, plan->routed_pusd)},
        {"cascade_saved_percent", SavedPercent(plan->monolith_pusd, plan->cascade_pusd)},
        {"routed_share", input->routed_ppm / 1e6},
        {"tiers", tiers}};
    out << json.dump(2) << "\n";
    return 0;
  }
  const double routed = input->routed_ppm / 1e4;
  out << absl::StrFormat("%-44s %16s %8s\n", "MONTHLY", "COST", "SAVED");
  out << absl::StrFormat("%-44s %16s %8s\n", absl::StrCat("monolith (everything on ", top, ")"),
                         FormatUsd(plan->monolith_pusd), "-");
  out << absl::StrFormat("%-44s %16s %7.1f%%\n", "routed perfectly (straight to the tier)",
                         FormatUsd(plan->routed_pusd),
                         SavedPercent(plan->monolith_pusd, plan->routed_pusd));
  out << absl::StrFormat(
      "%-44s %16s %7.1f%%\n",
      absl::StrFormat("cascade (%.1f%% routed, %.1f%% climb)", routed, 100 - routed),
      FormatUsd(plan->cascade_pusd), SavedPercent(plan->monolith_pusd, plan->cascade_pusd));
  out << absl::StrFormat("  %-42s %16s\n", "final answers",
                         FormatUsd(plan->cascade_final_answers_pusd));
  out << absl::StrFormat("  %-42s %16s\n", "rejected lower-tier attempts",
                         FormatUsd(plan->cascade_rejected_attempts_pusd));
  out << absl::StrFormat("  %-42s %16s\n", "judge calls", FormatUsd(plan->cascade_judge_pusd));
  for (size_t i = 0; i < input->tiers.size(); ++i) {
    out << absl::StrFormat("answered by %-32s %16d requests\n", input->tiers[i].name,
                           plan->answered_per_tier[i]);
  }
  return 0;
}

}  // namespace cascade::cli
