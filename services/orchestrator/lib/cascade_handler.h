#pragma once

// The cascade as one call: what both front doors (the gRPC Cascade service and the
// OpenAI-compatible HTTP door) translate into. The orchestrator implements it; front-door
// tests use a double.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cascade/v1/cascade.pb.h"
#include "common/concurrency/cancellation.h"
#include "services/orchestrator/lib/text_sink.h"

namespace cascade::orchestrator {

// What a front door knows about the call besides the request itself.
struct CascadeCall {
  // The client's deadline; InfiniteFuture = none (the policy's default then applies).
  absl::Time deadline = absl::InfiniteFuture();
  // Carried to every downstream hop as x-request-id.
  std::string request_id;
  // Cancelled when the client goes away; the cascade then cancels every downstream call.
  // Never null.
  CancellationToken* cancellation = nullptr;
  // When set, receives the accepted (or last) tier's answer text, with its tokens'
  // logprobs, as it streams. Text of a tier that may still be rejected is never passed here.
  TextSink on_text;
  // The client sent no temperature (the HTTP door; gRPC's 0 means greedy): the policy's
  // default_temperature applies, 1 unless set, as OpenAI's API does.
  bool temperature_unset = false;
};

class CascadeHandler {
 public:
  virtual ~CascadeHandler() = default;

  // Runs the request through the cascade. Errors: INVALID_ARGUMENT (bad request, named
  // field), NOT_FOUND (unknown policy), DEADLINE_EXCEEDED, CANCELLED, UNAVAILABLE (every
  // tier failed; the message names each tier's error).
  virtual absl::StatusOr<v1::CascadeResponse> Complete(const v1::CascadeRequest& request,
                                                       const CascadeCall& call) = 0;

  // The configured policy names, the default first (what GET /v1/models lists).
  virtual std::vector<std::string> PolicyNames() const = 0;
};

}  // namespace cascade::orchestrator
