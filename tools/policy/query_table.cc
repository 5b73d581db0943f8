#include "tools/policy/query_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tools/policy/policy_evaluation.h"

namespace cascade::policy {

absl::string_view SignalName(SignalKind kind) {
  switch (kind) {
    case SignalKind::kLogprobMean:
      return "logprob:mean";
    case SignalKind::kLogprobMin:
      return "logprob:min";
    case SignalKind::kSelfCheck:
      return "self_check";
  }
  return "";
}

bool QueryTable::Carries(int model, SignalKind kind) const {
  return std::any_of(rows.begin(), rows.end(), [&](const std::vector<ModelAnswer>& row) {
    return row[model].signal(kind).has_value();
  });
}

absl::StatusOr<QueryTable> BuildQueryTable(
    const std::vector<outcomes::OutcomeRecord>& records,
    const std::map<std::string, outcomes::ModelPrice>& prices,
    const std::vector<std::string>& models) {
  if (models.empty()) return absl::InvalidArgumentError("the ladder names no model");
  for (const std::string& model : models) {
    if (!prices.count(model)) {
      return absl::InvalidArgumentError(absl::StrCat("no price for model '", model, "'"));
    }
  }
  QueryTable table;
  table.models = models;
  for (const auto& record : records) {
    std::vector<ModelAnswer> row;
    for (const std::string& model : models) {
      const outcomes::ModelOutcome* outcome = record.Find(model);
      if (outcome == nullptr || QualityOf(*outcome) < 0) break;
      const outcomes::ModelPrice& price = prices.at(model);
      ModelAnswer& answer = row.emplace_back();
      answer.quality = QualityOf(*outcome);
      answer.cost_pusd = price.CostPusd(outcome->usage);
      if (!outcome->logprobs.empty()) {
        double sum = 0;
        double least = 0;
        for (const auto& token : outcome->logprobs) {
          sum += token.logprob();
          least = std::min(least, token.logprob());
        }
        answer.signals[static_cast<int>(SignalKind::kLogprobMean)] =
            sum / static_cast<double>(outcome->logprobs.size());
        answer.signals[static_cast<int>(SignalKind::kLogprobMin)] = least;
      }
      if (outcome->self_check) {
        answer.signals[static_cast<int>(SignalKind::kSelfCheck)] = outcome->self_check->p_yes;
        answer.self_check_cost_pusd = price.CostPusd(outcome->self_check->usage);
      }
    }
    if (row.size() != models.size()) {
      ++table.skipped;
      continue;
    }
    table.rows.push_back(std::move(row));
  }
  if (table.rows.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("none of the ", records.size(),
                     " records has a graded answer (correct or quality) of every model of the "
                     "ladder"));
  }
  return table;
}

}  // namespace cascade::policy
