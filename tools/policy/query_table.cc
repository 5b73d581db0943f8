#include "tools/policy/query_table.h"

#include "absl/strings/str_cat.h"
#include "services/judge/lib/logprob_aggregate.h"
#include "tools/cascadectl/learn_exemplars.h"

namespace cascade::policy {

absl::string_view SignalName(SignalKind kind) {
  switch (kind) {
    case SignalKind::kLogprobMean:
      return "logprob:mean";
    case SignalKind::kLogprobMin:
      return "logprob:min";
    case SignalKind::kSelfCheck:
      return "self_check";
    case SignalKind::kRouterEstimate:
      return "router_estimate";
    case SignalKind::kCombined:
      return "combined";
  }
  return "";
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
      if (outcome == nullptr || !outcome->Quality()) break;
      const outcomes::ModelPrice& price = prices.at(model);
      ModelAnswer& answer = row.emplace_back();
      answer.quality = *outcome->Quality();
      answer.cost_pusd = price.CostPusd(outcome->usage);
      // The orchestrator's own aggregates, so that a threshold means what its rule compares.
      using Kind = judge::LogprobAggregate::Kind;
      for (auto [kind, signal] : {std::pair{Kind::kMean, SignalKind::kLogprobMean},
                                  std::pair{Kind::kMin, SignalKind::kLogprobMin}}) {
        auto aggregate = judge::ComputeLogprobAggregate({kind, 0}, outcome->logprobs);
        if (aggregate.ok()) answer.signals[static_cast<int>(signal)] = *aggregate;
      }
      if (outcome->self_check) {
        answer.signals[static_cast<int>(SignalKind::kSelfCheck)] = outcome->self_check->p_yes;
        answer.self_check_cost_pusd = price.CostPusd(outcome->self_check->usage);
      }
      if (outcome->router_estimate) {
        answer.signals[static_cast<int>(SignalKind::kRouterEstimate)] = *outcome->router_estimate;
      }
    }
    if (row.size() != models.size()) {
      ++table.skipped;
      continue;
    }
    table.rows.push_back(std::move(row));
    // The query and key `cascadectl routes learn` would give the record's exemplar.
    cascade::v1::OutcomeExemplar exemplar = cli::ExemplarFromOutcome(record, {});
    table.queries.push_back(exemplar.query());
    table.keys.push_back(exemplar.key());
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
