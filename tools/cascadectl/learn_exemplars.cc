#include "tools/cascadectl/learn_exemplars.h"

#include "common/text/sha256.h"

namespace cascade::cli {

cascade::v1::OutcomeExemplar ExemplarFromOutcome(
    const outcomes::OutcomeRecord& record,
    const std::map<std::string, std::string>& tier_of_model) {
  cascade::v1::OutcomeExemplar exemplar;
  // The last user message is what the orchestrator asks the router about.
  for (auto it = record.messages.rbegin(); it != record.messages.rend(); ++it) {
    if (it->role() == "user") {
      exemplar.set_query(it->content());
      break;
    }
  }
  exemplar.set_key(Sha256Hex(outcomes::MessagesKey(record.messages)));
  for (const auto& [model, outcome] : record.models) {
    std::string tier = model;
    if (!tier_of_model.empty()) {
      auto found = tier_of_model.find(model);
      if (found == tier_of_model.end()) continue;
      tier = found->second;
    }
    if (std::optional<double> quality = outcome.Quality()) {
      (*exemplar.mutable_tier_quality())[tier] = *quality;
    }
  }
  return exemplar;
}

LearnedExemplars ExemplarsFromOutcomes(const std::vector<outcomes::OutcomeRecord>& records,
                                       const std::map<std::string, std::string>& tier_of_model) {
  LearnedExemplars learned;
  for (const outcomes::OutcomeRecord& record : records) {
    cascade::v1::OutcomeExemplar exemplar = ExemplarFromOutcome(record, tier_of_model);
    if (exemplar.query().empty() || exemplar.tier_quality().empty()) {
      ++learned.unlabelled;
      continue;
    }
    for (const auto& [tier, quality] : exemplar.tier_quality()) ++learned.labels_per_tier[tier];
    learned.exemplars.push_back(std::move(exemplar));
  }
  return learned;
}

}  // namespace cascade::cli
