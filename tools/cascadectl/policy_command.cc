#include "tools/cascadectl/policy_command.h"

#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/config/config_loader.h"
#include "common/log/logger.h"
#include "common/outcomes/outcomes.h"
#include "common/outcomes/prices.h"
#include "nlohmann/json.hpp"
#include "tools/cascadectl/command_args.h"
#include "tools/policy/fit_report.h"
#include "tools/policy/policy_evaluation.h"
#include "tools/policy/policy_fitter.h"
#include "tools/policy/router_estimates.h"

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

// The policy a policies file holds that `name` names, else its default one.
absl::StatusOr<v1::CascadePolicyConfig> PolicyFromFile(const std::string& path,
                                                       const std::string& name) {
  v1::PoliciesFileConfig file;
  if (absl::Status loaded = LoadConfigFile(path, &file); !loaded.ok()) return loaded;
  if (file.policies().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": policies: none"));
  }
  const std::string wanted = !name.empty() ? name : file.default_policy();
  if (wanted.empty()) return file.policies(0);
  for (const auto& policy : file.policies()) {
    if (policy.name() == wanted) return policy;
  }
  return absl::InvalidArgumentError(absl::StrCat(path, ": no policy named '", wanted, "'"));
}

// --tier-name MODEL=TIER flags, as tier -> model.
absl::StatusOr<std::map<std::string, std::string>> TierModels(const CommandArgs& args) {
  std::map<std::string, std::string> tier_models;
  for (const std::string& pair : args.Values("tier-name")) {
    std::vector<std::string> parts = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--tier-name '", pair, "' must be MODEL=TIER"));
    }
    tier_models[parts[1]] = parts[0];
  }
  return tier_models;
}

int RunEval(const CommandArgs& args, std::ostream& out, std::ostream& err) {
  for (const char* flag : {"outcomes", "prices", "policy"}) {
    if (!args.Value(flag)) return UsageError(err, absl::StrCat("--", flag, " is required"));
  }
  auto tier_models = TierModels(args);
  if (!tier_models.ok()) return UsageError(err, tier_models.status().message());
  auto records = outcomes::ReadOutcomesFile(*args.Value("outcomes"));
  if (!records.ok()) return Failed(err, records.status().message());
  auto prices = outcomes::ReadPricesFile(*args.Value("prices"));
  if (!prices.ok()) return Failed(err, prices.status().message());
  auto policy = PolicyFromFile(*args.Value("policy"), args.ValueOr("name", ""));
  if (!policy.ok()) return Failed(err, policy.status().message());
  std::shared_ptr<const router::TierSuccessEstimator> estimator;
  if (std::optional<std::string> path = args.Value("exemplars")) {
    auto training = outcomes::ReadOutcomesFile(*path);
    if (!training.ok()) return Failed(err, training.status().message());
    auto built = policy::EstimatorFromOutcomes(*training);
    if (!built.ok()) return Failed(err, absl::StrCat(*path, ": ", built.status().message()));
    estimator = *std::move(built);
  }
  // The cascade's own per-request log lines are not this command's output.
  Logger::Configure("cascadectl", LogLevel::kError);
  auto evaluation =
      policy::EvaluatePolicy(*records, *prices, *policy, *tier_models, std::move(estimator));
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

absl::StatusOr<double> NumberFlag(const CommandArgs& args, const std::string& name,
                                  double fallback) {
  std::optional<std::string> text = args.Value(name);
  if (!text) return fallback;
  double value = 0;
  if (!absl::SimpleAtod(*text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " '", *text, "' is not a number"));
  }
  return value;
}

// The shortest decimal that reads back as `value` exactly: a calibrated rule's numbers are
// what the fitter simulated, to the last bit.
std::string ExactDecimal(double value) {
  for (int digits = 1; digits < 17; ++digits) {
    const std::string text = absl::StrFormat("%.*g", digits, value);
    double back = 0;
    if (absl::SimpleAtod(text, &back) && back == value) return text;
  }
  return absl::StrFormat("%.17g", value);
}

// The policy as a policies file (PoliciesFileConfig) a person can read: what the
// orchestrator's policies_file and `policy eval` take.
std::string PoliciesFileYaml(const v1::CascadePolicyConfig& policy, const std::string& comment) {
  std::string yaml =
      absl::StrCat(comment, "policies:\n  - name: ", policy.name(), "\n    tiers:\n");
  for (const v1::PolicyTierConfig& tier : policy.tiers()) {
    absl::StrAppend(&yaml, "      - tier: \"", tier.tier(), "\"\n");
    if (tier.accept().has_logprob()) {
      absl::StrAppend(&yaml,
                      "        accept: {logprob: {aggregate: ", tier.accept().logprob().aggregate(),
                      ", min: ", absl::StrFormat("%.6f", tier.accept().logprob().min()), "}}\n");
    } else if (tier.accept().has_self_check()) {
      absl::StrAppend(&yaml, "        accept: {self_check: {min: ",
                      absl::StrFormat("%.6f", tier.accept().self_check().min()), "}}\n");
    } else if (tier.accept().has_calibrated()) {
      const v1::CalibratedAcceptanceConfig& calibrated = tier.accept().calibrated();
      absl::StrAppend(&yaml,
                      "        accept:\n          calibrated:\n            min_probability: ",
                      ExactDecimal(calibrated.min_probability()),
                      "\n            intercept: ", ExactDecimal(calibrated.intercept()),
                      "\n            weights:\n");
      for (const v1::SignalWeight& weight : calibrated.weights()) {
        absl::StrAppend(&yaml, "              - {signal: ", weight.signal(),
                        ", weight: ", ExactDecimal(weight.weight()), "}\n");
      }
    }
  }
  return yaml;
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream file(path);
  file << text;
  file.close();
  if (!file) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

nlohmann::json FiguresJson(const policy::CandidateFigures& figures) {
  return {{"drop", figures.drop},
          {"cost_ratio", figures.cost_ratio},
          {"final_share", figures.final_share}};
}

// A combined (or router_estimate) candidate's combination per cheaper tier: {"tier", "intercept",
// "weights": {signal: weight}}, the signals named as in the policy file.
nlohmann::json CombinationsJson(const policy::QueryTable& table, const policy::Candidate& c) {
  nlohmann::json combinations = nlohmann::json::array();
  for (size_t t = 0; t < c.combinations.size(); ++t) {
    nlohmann::json weights = nlohmann::json::object();
    for (const policy::CombinationTerm& term : c.combinations[t].terms) {
      weights[std::string(policy::CombinationSignalName(term.signal))] = term.weight;
    }
    combinations.push_back({{"tier", table.models[c.ladder[t]]},
                            {"intercept", c.combinations[t].intercept},
                            {"weights", weights}});
  }
  return combinations;
}

nlohmann::json CandidateJson(const policy::QueryTable& table, const policy::Candidate& c) {
  nlohmann::json ladder = nlohmann::json::array();
  for (int model : c.ladder) ladder.push_back(table.models[model]);
  nlohmann::json out = {{"ladder", ladder},
                        {"signal", std::string(policy::SignalName(c.kind))},
                        {"target", c.target},
                        {"raw_thresholds", c.raw_thresholds},
                        {"selection", FiguresJson(c.selection)},
                        {"certification", FiguresJson(c.certification)},
                        {"training", FiguresJson(c.training)},
                        {"drop_upper_bound", c.drop_upper_bound},
                        {"cost_interval", {c.cost_interval.low, c.cost_interval.high}},
                        {"certified", c.certified}};
  if (c.p_value) out["p_value"] = *c.p_value;
  if (policy::WrittenAsCalibrated(c.kind)) out["combinations"] = CombinationsJson(table, c);
  return out;
}

// Where the fit's router estimates came from: {"source": "recorded"} or {"source":
// "cross-fitted", "folds", "estimated", "missing"}.
nlohmann::json RouterEstimatesJson(const policy::FitResult& fit) {
  if (!fit.router_estimates) return {{"source", "recorded"}};
  return {{"source", "cross-fitted"},
          {"folds", fit.router_estimates->folds},
          {"estimated", fit.router_estimates->estimated},
          {"missing", fit.router_estimates->missing}};
}

int RunFit(const CommandArgs& args, std::ostream& out, std::ostream& err) {
  for (const char* flag : {"outcomes", "prices", "max-quality-drop", "out"}) {
    if (!args.Value(flag)) return UsageError(err, absl::StrCat("--", flag, " is required"));
  }
  policy::FitOptions options;
  auto drop = NumberFlag(args, "max-quality-drop", 0);
  if (!drop.ok()) return UsageError(err, drop.status().message());
  options.max_quality_drop = *drop;
  auto confidence = NumberFlag(args, "confidence", options.confidence);
  if (!confidence.ok()) return UsageError(err, confidence.status().message());
  options.confidence = *confidence;
  const std::string guarantee = args.ValueOr("guarantee", "high-probability");
  if (std::optional<policy::Guarantee> parsed = policy::ParseGuarantee(guarantee)) {
    options.guarantee = *parsed;
  } else {
    return UsageError(
        err, absl::StrCat("--guarantee '", guarantee, "' must be high-probability or expected"));
  }
  auto seed = NumberFlag(args, "seed", 1);
  if (!seed.ok() || *seed < 0) return UsageError(err, "--seed must be a number >= 0");
  options.seed = static_cast<uint64_t>(*seed);
  options.name = args.ValueOr("name", "fitted");
  options.cross_fit_router_estimates = args.Has("cross-fit-router-estimates");
  if (std::optional<std::string> folds = args.Value("estimate-folds")) {
    if (!options.cross_fit_router_estimates) {
      return UsageError(err, "--estimate-folds needs --cross-fit-router-estimates");
    }
    if (!absl::SimpleAtoi(*folds, &options.estimate_folds) || options.estimate_folds < 2 ||
        options.estimate_folds > 20) {
      return UsageError(
          err, absl::StrCat("--estimate-folds '", *folds, "' must be a whole number from 2 to 20"));
    }
  }

  auto records = outcomes::ReadOutcomesFile(*args.Value("outcomes"));
  if (!records.ok()) return Failed(err, records.status().message());
  auto prices = outcomes::ReadPricesFile(*args.Value("prices"));
  if (!prices.ok()) return Failed(err, prices.status().message());
  std::vector<std::string> models;
  if (std::optional<std::string> tiers = args.Value("tiers")) {
    models = absl::StrSplit(*tiers, ',', absl::SkipEmpty());
  } else {
    for (const auto& record : *records) {
      for (const auto& [model, outcome] : record.models) {
        if (std::find(models.begin(), models.end(), model) == models.end()) models.push_back(model);
      }
    }
  }
  auto table = policy::BuildQueryTable(*records, *prices, models);
  if (!table.ok()) return Failed(err, table.status().message());
  auto fit = policy::FitPolicy(*table, options);
  if (!fit.ok()) return Failed(err, fit.status().message());

  auto tier_models = TierModels(args);
  if (!tier_models.ok()) return UsageError(err, tier_models.status().message());
  for (auto& tier : *fit->policy.mutable_tiers()) {
    for (const auto& [tier_name, model] : *tier_models) {
      if (model == tier.tier()) tier.set_tier(tier_name);
    }
  }
  const std::string comment = absl::StrFormat(
      "# Fitted by cascadectl policy fit on %s (%d queries): mean quality drop against %s alone\n"
      "# <= %.4f %s on queries drawn like those. docs/policy.md\n",
      *args.Value("outcomes"), table->rows.size(), table->models.back(), options.max_quality_drop,
      policy::PromiseText(options));
  const std::string policy_yaml = PoliciesFileYaml(fit->policy, comment);
  if (absl::Status written = WriteFile(*args.Value("out"), policy_yaml); !written.ok()) {
    return Failed(err, written.message());
  }
  std::string chart;
  if (std::optional<std::string> plot = args.Value("plot")) {
    if (absl::Status written = WriteFile(*plot, policy::FrontierSvg(*table, *fit, options));
        !written.ok()) {
      return Failed(err, written.message());
    }
    // As the report will link it: relative to the report's folder.
    chart = std::filesystem::path(*plot)
                .lexically_relative(std::filesystem::path(args.ValueOr("report", "")).parent_path())
                .string();
  }
  if (std::optional<std::string> report = args.Value("report")) {
    const std::string markdown = policy::FitReportMarkdown(
        *table, *fit, options, *args.Value("outcomes"), policy_yaml, chart);
    if (absl::Status written = WriteFile(*report, markdown); !written.ok()) {
      return Failed(err, written.message());
    }
  }
  if (args.Has("json")) {
    nlohmann::json sequence = nlohmann::json::array();
    for (const policy::Candidate& c : fit->sequence) sequence.push_back(CandidateJson(*table, c));
    // How many candidates were simulated on the selection queries, in all and per signal.
    nlohmann::json per_signal = nlohmann::json::object();
    for (const policy::Candidate& c : fit->candidates) {
      const std::string signal(policy::SignalName(c.kind));
      per_signal[signal] = per_signal.value(signal, 0) + 1;
    }
    out << nlohmann::json{{"queries", table->rows.size()},
                          {"skipped", table->skipped},
                          {"selection_queries", fit->selection_queries},
                          {"certification_queries", fit->certification_queries},
                          {"max_quality_drop", options.max_quality_drop},
                          {"confidence", options.confidence},
                          {"guarantee", policy::GuaranteeName(options.guarantee)},
                          {"router_estimates", RouterEstimatesJson(*fit)},
                          {"candidates", fit->candidates.size()},
                          {"candidates_per_signal", per_signal},
                          {"sequence", sequence},
                          {"chosen", fit->chosen ? nlohmann::json(*fit->chosen) : nlohmann::json()},
                          {"top_model", table->models.back()},
                          {"policy_file", *args.Value("out")}}
               .dump(2)
        << "\n";
  } else {
    out << policy::FitSummary(*table, *fit, options);
    out << "wrote " << *args.Value("out") << "\n";
  }
  return 0;
}

}  // namespace

int RunPolicy(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<CommandArgs> args = CommandArgs::Parse(
      raw_args,
      {"outcomes", "prices", "policy", "tier-name", "max-quality-drop", "confidence", "tiers",
       "name", "seed", "out", "report", "plot", "estimate-folds", "exemplars", "guarantee"},
      {"json", "help", "cross-fit-router-estimates"});
  if (!args.ok()) return UsageError(err, args.status().message());
  if (args->Has("help")) {
    out << kPolicyUsage;
    return 0;
  }
  if (args->positionals().size() == 1 && args->positionals()[0] == "fit") {
    return RunFit(*args, out, err);
  }
  if (args->positionals().size() == 1 && args->positionals()[0] == "eval") {
    return RunEval(*args, out, err);
  }
  return UsageError(err, "give a subcommand: fit or eval");
}

}  // namespace cascade::cli
