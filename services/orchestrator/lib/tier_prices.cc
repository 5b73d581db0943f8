#include "services/orchestrator/lib/tier_prices.h"

#include "common/log/logger.h"

namespace cascade::orchestrator {

TierPrices::TierPrices(Options options, std::function<absl::Time()> clock)
    : options_(options), clock_(std::move(clock)) {}

void TierPrices::AddTier(const std::string& name, std::shared_ptr<TierClient> client,
                         std::optional<TierPrice> fallback) {
  absl::MutexLock lock(&mu_);
  entries_[name] = Entry{std::move(client), fallback, std::nullopt, absl::InfinitePast()};
}

std::optional<TierDescription> TierPrices::Get(const std::string& tier,
                                               const std::string& request_id) {
  std::shared_ptr<TierClient> client;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(tier);
    if (it == entries_.end()) return std::nullopt;
    Entry& entry = it->second;
    if (entry.described) return entry.described;
    if (clock_() < entry.next_try) {
      if (entry.fallback) return TierDescription{"", *entry.fallback, std::nullopt, std::nullopt};
      return std::nullopt;
    }
    entry.next_try = clock_() + options_.retry_after;
    client = entry.client;
  }
  // Outside the lock: a slow tier must not hold up every other request's lookups.
  DownstreamCall call{absl::Now() + options_.describe_timeout, request_id, nullptr};
  auto description = client->Describe(call);
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[tier];
  if (description.ok()) {
    entry.described =
        TierDescription{description->model(),
                        TierPrice{description->input_price_uusd_per_mtok(),
                                  description->output_price_uusd_per_mtok()},
                        description->supports_tools(), description->supports_images()};
    return entry.described;
  }
  LogWarn("tier_describe_failed", {{"tier", tier},
                                   {"error", std::string(description.status().message())},
                                   {"fallback_price", entry.fallback.has_value()},
                                   {"request_id", request_id}});
  if (entry.fallback) return TierDescription{"", *entry.fallback, std::nullopt, std::nullopt};
  return std::nullopt;
}

}  // namespace cascade::orchestrator
