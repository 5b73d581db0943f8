#pragma once

// Each tier's model, prices and capabilities, from its tier worker's Describe (the source of
// truth), fetched on first use and cached. A tier that cannot be described is asked again at most
// once per `retry_after`; meanwhile its configured fallback_price (if any) is used.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/orchestrator/lib/clients.h"
#include "services/orchestrator/lib/orchestrator_settings.h"

namespace cascade::orchestrator {

struct TierDescription {
  std::string model;  // Empty when only the fallback price is known.
  TierPrice price;
  // What the tier can serve, from Describe; nullopt when only the fallback price is known
  // (the tier is then tried, and refuses what it cannot serve).
  std::optional<bool> supports_tools;
  std::optional<bool> supports_images;
};

class TierPrices {
 public:
  struct Options {
    absl::Duration describe_timeout = absl::Seconds(1);
    absl::Duration retry_after = absl::Seconds(1);
  };
  TierPrices(Options options, std::function<absl::Time()> clock);

  void AddTier(const std::string& name, std::shared_ptr<TierClient> client,
               std::optional<TierPrice> fallback);
  // nullopt when neither Describe nor a fallback price is available.
  std::optional<TierDescription> Get(const std::string& tier, const std::string& request_id);

 private:
  struct Entry {
    std::shared_ptr<TierClient> client;
    std::optional<TierPrice> fallback;
    std::optional<TierDescription> described;
    absl::Time next_try = absl::InfinitePast();
  };
  Options options_;
  std::function<absl::Time()> clock_;
  absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cascade::orchestrator
