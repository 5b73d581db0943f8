#pragma once

// Every policy's outcome exemplars and the estimator built from them. A change (exemplars
// added, the file reloaded) rebuilds the changed policies' estimators and publishes a new
// snapshot atomically, then writes the file back when one is configured, so that a restart
// keeps the exemplars and other replicas (watching the same file) pick them up.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/router/lib/outcome_exemplars.h"
#include "services/router/lib/outcome_exemplars_file.h"
#include "services/router/lib/tier_success_estimator.h"

namespace cascade::router {

struct OutcomeStoreOptions {
  TierEstimatorOptions estimator;
  // Per policy; past it the oldest exemplars are evicted.
  size_t max_exemplars_per_policy = 20000;
  // Read at start when it exists, rewritten whole after every change. Empty: memory only.
  std::string file;
};

struct OutcomePolicySummary {
  std::string policy;
  size_t exemplars = 0;
  std::vector<TierCalibration> calibration;
};

class OutcomeStore {
 public:
  // Loads `options.file` when it exists. InvalidArgument for bad options or a bad file.
  static absl::StatusOr<std::unique_ptr<OutcomeStore>> Create(OutcomeStoreOptions options);

  // Validates every exemplar first (InvalidArgument "exemplars[3]: ..."; nothing is added
  // then), adds them, rebuilds the policy's estimator and writes the file. A write that
  // fails returns its error, but the exemplars stay in service.
  absl::StatusOr<OutcomeAddResult> Add(const std::string& policy,
                                       std::vector<OutcomeExemplar> exemplars);

  // NotFound when the policy has no exemplars. Thread-safe, lock-free but for the load.
  absl::StatusOr<std::vector<TierEstimate>> Estimate(absl::string_view policy,
                                                     absl::string_view query) const;

  // Replaces everything with the file's contents (another replica wrote it). Sets
  // *changed to false, doing nothing, when the file holds what this store last read or
  // wrote (its own write seen by the watcher).
  absl::Status ReloadFile(bool* changed = nullptr);

  std::vector<OutcomePolicySummary> List() const;
  const OutcomeStoreOptions& options() const { return options_; }

 private:
  using Estimators =
      std::map<std::string, std::shared_ptr<const TierSuccessEstimator>, std::less<>>;

  explicit OutcomeStore(OutcomeStoreOptions options) : options_(std::move(options)) {}

  // Replaces every policy's exemplars with `exemplars`; callers hold update_mutex_.
  absl::Status ReplaceAll(OutcomeExemplarsByPolicy exemplars);
  absl::StatusOr<std::shared_ptr<const TierSuccessEstimator>> BuildEstimator(
      const OutcomeExemplars& exemplars) const;
  absl::Status WriteFile();

  const OutcomeStoreOptions options_;
  std::mutex update_mutex_;
  std::map<std::string, OutcomeExemplars> exemplars_;  // Guarded by update_mutex_.
  std::string file_text_;  // What the file last held as far as we know; update_mutex_.
  std::atomic<std::shared_ptr<const Estimators>> estimators_{std::make_shared<Estimators>()};
};

}  // namespace cascade::router
