#include "common/http/retry_policy.h"

#include <algorithm>

namespace cascade::http {

absl::string_view RetryReasonLabel(RetryReason reason) {
  switch (reason) {
    case RetryReason::kConnectError:
      return "connect_error";
    case RetryReason::kRateLimited:
      return "rate_limited";
    case RetryReason::kServerError:
      return "server_error";
  }
  return "server_error";
}

RetryPolicy::RetryPolicy(RetryOptions options, RandomSource* random)
    : options_(options), random_(random) {}

std::optional<absl::Duration> RetryPolicy::NextBackoff(int retries_done,
                                                       const RetryableFailure& failure,
                                                       absl::Time now, absl::Time deadline) const {
  if (retries_done >= options_.max_retries) return std::nullopt;
  absl::Duration ceiling = options_.initial_backoff;
  for (int i = 0; i < retries_done && ceiling < options_.max_backoff; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, options_.max_backoff);
  // Half fixed, half random: spreads retries of many callers without ever retrying at once.
  absl::Duration wait = ceiling / 2 + (ceiling / 2) * random_->Uniform01();
  // The upstream knows best when it will take us again; waiting less only earns another 429.
  if (failure.retry_after.has_value()) wait = std::max(wait, *failure.retry_after);
  if (now + wait >= deadline) return std::nullopt;
  return wait;
}

}  // namespace cascade::http
