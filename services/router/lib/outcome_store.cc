#include "services/router/lib/outcome_store.h"

#include "absl/strings/str_cat.h"
#include "common/io/atomic_file.h"

namespace cascade::router {

absl::StatusOr<std::unique_ptr<OutcomeStore>> OutcomeStore::Create(OutcomeStoreOptions options) {
  if (options.max_exemplars_per_policy < 1) {
    return absl::InvalidArgumentError("max_exemplars_per_policy must be >= 1");
  }
  std::unique_ptr<OutcomeStore> store(new OutcomeStore(std::move(options)));
  if (!store->options_.file.empty()) {
    absl::Status status = store->ReloadFile();
    if (!status.ok() && !absl::IsNotFound(status)) return status;
  }
  return store;
}

absl::StatusOr<std::shared_ptr<const TierSuccessEstimator>> OutcomeStore::BuildEstimator(
    const OutcomeExemplars& exemplars) const {
  return TierSuccessEstimator::Build({exemplars.entries().begin(), exemplars.entries().end()},
                                     options_.estimator);
}

absl::Status OutcomeStore::ReplaceAll(OutcomeExemplarsByPolicy loaded) {
  std::map<std::string, OutcomeExemplars> exemplars;
  auto estimators = std::make_shared<Estimators>();
  for (auto& [policy, rows] : loaded) {
    OutcomeExemplars& held =
        exemplars.try_emplace(policy, options_.max_exemplars_per_policy).first->second;
    held.Add(std::move(rows));
    absl::StatusOr<std::shared_ptr<const TierSuccessEstimator>> estimator = BuildEstimator(held);
    if (!estimator.ok()) {
      return absl::Status(estimator.status().code(),
                          absl::StrCat("policy ", policy, ": ", estimator.status().message()));
    }
    (*estimators)[policy] = *std::move(estimator);
  }
  exemplars_ = std::move(exemplars);
  estimators_.store(std::move(estimators));
  return absl::OkStatus();
}

absl::StatusOr<OutcomeAddResult> OutcomeStore::Add(const std::string& policy,
                                                   std::vector<OutcomeExemplar> exemplars) {
  if (policy.empty()) return absl::InvalidArgumentError("policy must not be empty");
  if (exemplars.empty()) return absl::InvalidArgumentError("exemplars must not be empty");
  for (size_t i = 0; i < exemplars.size(); ++i) {
    if (absl::Status status = ValidateOutcomeExemplar(exemplars[i]); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("exemplars[", i, "]: ", status.message()));
    }
  }
  std::lock_guard lock(update_mutex_);
  auto found = exemplars_.find(policy);
  // Added to a copy: a failed build leaves what is in service untouched.
  OutcomeExemplars updated = found != exemplars_.end()
                                 ? found->second
                                 : OutcomeExemplars(options_.max_exemplars_per_policy);
  const OutcomeAddResult result = updated.Add(std::move(exemplars));
  absl::StatusOr<std::shared_ptr<const TierSuccessEstimator>> estimator = BuildEstimator(updated);
  if (!estimator.ok()) return estimator.status();
  exemplars_.insert_or_assign(policy, std::move(updated));
  auto estimators = std::make_shared<Estimators>(*estimators_.load());
  (*estimators)[policy] = *std::move(estimator);
  estimators_.store(std::move(estimators));
  if (absl::Status status = WriteFile(); !status.ok()) return status;
  return result;
}

absl::StatusOr<std::vector<TierEstimate>> OutcomeStore::Estimate(absl::string_view policy,
                                                                 absl::string_view query) const {
  const std::shared_ptr<const Estimators> estimators = estimators_.load();
  auto found = estimators->find(policy);
  if (found == estimators->end()) {
    return absl::NotFoundError(
        absl::StrCat("no outcome exemplars for policy '", policy,
                     "': add some with `cascadectl routes learn` or AddOutcomes"));
  }
  return found->second->Estimate(query);
}

absl::Status OutcomeStore::ReloadFile(bool* changed) {
  if (changed != nullptr) *changed = false;
  if (options_.file.empty()) return absl::FailedPreconditionError("no outcomes file");
  absl::StatusOr<std::string> text = ReadOutcomeExemplarsText(options_.file);
  if (!text.ok()) return text.status();
  std::lock_guard lock(update_mutex_);
  if (*text == file_text_) return absl::OkStatus();
  absl::StatusOr<OutcomeExemplarsByPolicy> loaded = ParseOutcomeExemplars(*text, options_.file);
  if (!loaded.ok()) return loaded.status();
  if (absl::Status status = ReplaceAll(*std::move(loaded)); !status.ok()) return status;
  file_text_ = *std::move(text);
  if (changed != nullptr) *changed = true;
  return absl::OkStatus();
}

absl::Status OutcomeStore::WriteFile() {
  if (options_.file.empty()) return absl::OkStatus();
  OutcomeExemplarsByPolicy rows;
  for (const auto& [policy, held] : exemplars_) {
    rows[policy].assign(held.entries().begin(), held.entries().end());
  }
  std::string text = OutcomeExemplarsToJsonLines(rows);
  if (absl::Status status = WriteFileAtomically(options_.file, text); !status.ok()) {
    return status;
  }
  file_text_ = std::move(text);
  return absl::OkStatus();
}

std::vector<OutcomePolicySummary> OutcomeStore::List() const {
  std::vector<OutcomePolicySummary> summaries;
  // Held for the loop: a range-for over `*estimators_.load()` would drop the snapshot after
  // its first line, and an Add on another thread could free the map being walked.
  const std::shared_ptr<const Estimators> estimators = estimators_.load();
  for (const auto& [policy, estimator] : *estimators) {
    summaries.push_back({policy, estimator->size(), estimator->calibration()});
  }
  return summaries;
}

}  // namespace cascade::router
