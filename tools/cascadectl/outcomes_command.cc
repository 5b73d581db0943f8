#include "tools/cascadectl/outcomes_command.h"

#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "tools/cascadectl/command_args.h"

namespace cascade::cli {
namespace {

int UsageError(std::ostream& err, absl::string_view message) {
  err << "cascadectl outcomes: " << message << "\n\n" << kOutcomesUsage;
  return 2;
}

double Share(int part, int whole) { return whole > 0 ? static_cast<double>(part) / whole : 0; }

void PrintTable(const std::vector<ModelSummary>& summaries, size_t queries, std::ostream& out) {
  out << queries << " queries\n";
  out << absl::StrFormat("%-24s %8s %9s %9s %10s %8s %14s\n", "MODEL", "ANSWERED", "ACCURACY",
                         "LOGPROBS", "SELF-CHECK", "TOKENS", "COST");
  for (const ModelSummary& s : summaries) {
    out << absl::StrFormat(
        "%-24s %8d %9s %8.0f%% %9.0f%% %8.1f %14s\n", s.model, s.answered,
        s.graded > 0 ? absl::StrFormat("%.3f", s.quality_sum / s.graded) : "-",
        100 * Share(s.with_logprobs, s.answered), 100 * Share(s.with_self_check, s.answered),
        static_cast<double>(s.tokens) / std::max(1, s.answered),
        s.cost_pusd ? absl::StrFormat("$%.6f", static_cast<double>(*s.cost_pusd) / 1e12) : "-");
  }
}

nlohmann::json Json(const std::vector<ModelSummary>& summaries, size_t queries) {
  nlohmann::json models = nlohmann::json::array();
  for (const ModelSummary& s : summaries) {
    nlohmann::json model = {{"model", s.model},
                            {"answered", s.answered},
                            {"graded", s.graded},
                            {"with_logprobs", s.with_logprobs},
                            {"with_self_check", s.with_self_check},
                            {"tokens", s.tokens}};
    if (s.graded > 0) model["accuracy"] = s.quality_sum / s.graded;
    if (s.cost_pusd) model["cost_pusd"] = *s.cost_pusd;
    models.push_back(std::move(model));
  }
  return {{"queries", queries}, {"models", std::move(models)}};
}

}  // namespace

std::vector<ModelSummary> SummarizeOutcomes(
    const std::vector<outcomes::OutcomeRecord>& records,
    const std::map<std::string, outcomes::ModelPrice>* prices) {
  std::vector<ModelSummary> summaries;
  std::map<std::string, size_t> index;
  for (const auto& record : records) {
    for (const auto& [model, outcome] : record.models) {
      auto [it, added] = index.emplace(model, summaries.size());
      if (added) {
        summaries.emplace_back().model = model;
        if (prices != nullptr && prices->count(model)) summaries.back().cost_pusd = 0;
      }
      ModelSummary& s = summaries[it->second];
      ++s.answered;
      if (std::optional<double> quality = outcome.Quality()) {
        ++s.graded;
        s.quality_sum += *quality;
      }
      s.with_logprobs += !outcome.logprobs.empty();
      s.with_self_check += outcome.self_check.has_value();
      s.tokens += outcome.usage.prompt_tokens() + outcome.usage.completion_tokens();
      if (s.cost_pusd) {
        const outcomes::ModelPrice& price = prices->at(model);
        *s.cost_pusd += price.CostPusd(outcome.usage);
        if (outcome.self_check) *s.cost_pusd += price.CostPusd(outcome.self_check->usage);
      }
    }
  }
  return summaries;
}

int RunOutcomes(const std::vector<std::string>& raw_args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<CommandArgs> args = CommandArgs::Parse(raw_args, {"prices"}, {"json", "help"});
  if (!args.ok()) return UsageError(err, args.status().message());
  if (args->Has("help")) {
    out << kOutcomesUsage;
    return 0;
  }
  if (args->positionals().size() != 2 || args->positionals()[0] != "summary") {
    return UsageError(err, "give `summary FILE`");
  }
  auto records = outcomes::ReadOutcomesFile(args->positionals()[1]);
  if (!records.ok()) {
    err << "cascadectl outcomes: " << records.status().message() << "\n";
    return 1;
  }
  std::optional<std::map<std::string, outcomes::ModelPrice>> prices;
  if (std::optional<std::string> path = args->Value("prices")) {
    auto read = outcomes::ReadPricesFile(*path);
    if (!read.ok()) {
      err << "cascadectl outcomes: " << read.status().message() << "\n";
      return 1;
    }
    prices = *std::move(read);
  }
  const std::vector<ModelSummary> summaries =
      SummarizeOutcomes(*records, prices ? &*prices : nullptr);
  if (args->Has("json")) {
    out << Json(summaries, records->size()).dump(2) << "\n";
  } else {
    PrintTable(summaries, records->size(), out);
  }
  return 0;
}

}  // namespace cascade::cli
