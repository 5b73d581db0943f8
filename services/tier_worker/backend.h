#pragma once

// What a tier worker asks of whatever serves its model: an OpenAI-compatible HTTP API
// (openai_backend.h), our InferenceService (inference_backend.h) or a file of recorded
// answers (replay_backend.h). Test doubles live in testing/.

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cascade/v1/tier.pb.h"
#include "common/concurrency/cancellation.h"
#include "common/http/retry_policy.h"

namespace cascade::tier_worker {

// One call as the backend sees it.
struct CallContext {
  std::string request_id;
  // The upstream call must be over by then (the gRPC deadline, less our margin).
  absl::Time deadline = absl::InfiniteFuture();
  // Fires when the caller cancels; may be null.
  CancellationToken* cancel = nullptr;
  // Told before each retry, for metrics and logs; may be empty.
  std::function<void(http::RetryReason reason, absl::Duration backoff, const absl::Status& cause)>
      on_retry;
};

// Receives a streamed answer's pieces as they arrive.
class DeltaSink {
 public:
  virtual ~DeltaSink() = default;
  // New text and its logprobs. False when the caller is gone: the backend stops.
  virtual bool OnDelta(const cascade::v1::CompleteChunk& delta) = 0;
};

struct BackendInfo {
  std::string backend;  // "openai", "inference" or "replay".
  std::string model;
  bool supports_logprobs = true;
  // Takes tools and answers with tool calls.
  bool supports_tools = false;
  // A reasoning model: takes reasoning_effort, reports reasoning tokens.
  bool supports_reasoning = false;
  // Takes image parts in user messages.
  bool supports_images = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const BackendInfo& info() const = 0;

  // Generates an answer. With a sink, streams it there as it comes and returns the
  // whole (text, finish reason, logprobs, usage, upstream model; speculation stats where
  // known); without one, just returns it. Cost, latency and tier are the caller's to set.
  virtual absl::StatusOr<cascade::v1::CompleteResponse> Complete(
      const cascade::v1::CompleteRequest& request, const CallContext& context, DeltaSink* sink) = 0;

  // A backend that replays recorded answers also replays their recorded self-checks
  // (p_yes, source "recorded", usage); every other is asked the self-check question.
  virtual bool ReplaysSelfChecks() const { return false; }
  virtual absl::StatusOr<cascade::v1::SelfCheck> RecordedSelfCheck(
      const cascade::v1::CompleteRequest& /*request*/) {
    return absl::UnimplementedError("this backend records no self-checks");
  }
};

}  // namespace cascade::tier_worker
