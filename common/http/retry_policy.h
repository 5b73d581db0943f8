#pragma once

// When to try an upstream call again: connect errors, 429 and 5xx (and the inference
// service's UNAVAILABLE / RESOURCE_EXHAUSTED), with exponential backoff and jitter,
// honouring the upstream's Retry-After, bounded in count and by the call's deadline.
// Whether anything was already passed on to the caller is the backend's business: it
// never asks once a stream has started.

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/http/random_source.h"

namespace cascade::http {

struct RetryOptions {
  // Attempts after the first.
  int max_retries = 2;
  // Backoff before retry n (1-based) is initial_backoff * 2^(n-1), capped at max_backoff,
  // then jittered into [half of it, all of it).
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
};

enum class RetryReason {
  kConnectError,  // No connection, or it broke before any response.
  kRateLimited,   // HTTP 429 (or the inference service's queue is full).
  kServerError,   // HTTP 5xx, or a response cut off before anything was passed on.
};

// The `reason` label of retry metrics (cascade_tier_retries_total).
absl::string_view RetryReasonLabel(RetryReason reason);

// What an attempt that may be retried left behind.
struct RetryableFailure {
  RetryReason reason;
  // The upstream's Retry-After (or retry-after-ms), when it sent one.
  std::optional<absl::Duration> retry_after;
};

class RetryPolicy {
 public:
  // `random` must outlive the policy.
  RetryPolicy(RetryOptions options, RandomSource* random);

  // The wait before the next attempt, or nullopt when no retry should be made: the
  // retries are spent, or the wait would end at or past `deadline`. `retries_done` counts
  // the retries already made (0 after the first attempt).
  std::optional<absl::Duration> NextBackoff(int retries_done, const RetryableFailure& failure,
                                            absl::Time now, absl::Time deadline) const;

  const RetryOptions& options() const { return options_; }

 private:
  RetryOptions options_;
  RandomSource* random_;
};

}  // namespace cascade::http
