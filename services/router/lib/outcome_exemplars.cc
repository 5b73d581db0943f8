#include "services/router/lib/outcome_exemplars.h"

#include <cmath>
#include <iterator>

#include "absl/strings/str_cat.h"

namespace cascade::router {

absl::Status ValidateOutcomeExemplar(const OutcomeExemplar& exemplar) {
  if (exemplar.query.empty()) return absl::InvalidArgumentError("query must not be empty");
  if (exemplar.key.empty()) return absl::InvalidArgumentError("key must not be empty");
  if (exemplar.tier_quality.empty()) {
    return absl::InvalidArgumentError("tiers must label at least one tier");
  }
  for (const auto& [tier, quality] : exemplar.tier_quality) {
    if (tier.empty()) return absl::InvalidArgumentError("a tier name is empty");
    if (!std::isfinite(quality) || quality < 0.0 || quality > 1.0) {
      return absl::InvalidArgumentError(
          absl::StrCat("tiers.", tier, " must be a quality in [0, 1], not ", quality));
    }
  }
  return absl::OkStatus();
}

OutcomeAddResult OutcomeExemplars::Add(std::vector<OutcomeExemplar> exemplars) {
  OutcomeAddResult result;
  for (OutcomeExemplar& exemplar : exemplars) {
    if (auto held = by_key_.find(exemplar.key); held != by_key_.end()) {
      // The newer label of a tier wins; tiers only the old entry had stay.
      std::map<std::string, double> labels = std::move(held->second->tier_quality);
      for (auto& [tier, quality] : exemplar.tier_quality) labels[tier] = quality;
      exemplar.tier_quality = std::move(labels);
      entries_.erase(held->second);
      by_key_.erase(held);
      ++result.merged;
    } else {
      ++result.added;
    }
    entries_.push_back(std::move(exemplar));
    by_key_[entries_.back().key] = std::prev(entries_.end());
    while (entries_.size() > max_exemplars_) {
      by_key_.erase(entries_.front().key);
      entries_.pop_front();
      ++result.evicted;
    }
  }
  return result;
}

}  // namespace cascade::router
