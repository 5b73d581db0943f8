#pragma once

// What the cascade calls: tier workers, the router and the judge. Interfaces, so the
// cascade's logic is tested with doubles; grpc_clients.h has the real ones.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cascade/v1/judge.pb.h"
#include "cascade/v1/router.pb.h"
#include "cascade/v1/tier.pb.h"
#include "common/concurrency/cancellation.h"
#include "services/orchestrator/lib/text_sink.h"

namespace cascade::orchestrator {

// One downstream call's deadline, request id and cancellation.
struct DownstreamCall {
  absl::Time deadline = absl::InfiniteFuture();
  std::string request_id;
  CancellationToken* cancellation = nullptr;  // May be null.
};

class TierClient {
 public:
  virtual ~TierClient() = default;
  // With `on_text`, the answer streams (StreamComplete) and each delta (text and its
  // logprobs) is passed on as it arrives; the result is the same either way.
  virtual absl::StatusOr<v1::CompleteResponse> Complete(const v1::CompleteRequest& request,
                                                        const DownstreamCall& call,
                                                        const TextSink* on_text) = 0;
  virtual absl::StatusOr<v1::DescribeResponse> Describe(const DownstreamCall& call) = 0;
};

class RouterClient {
 public:
  virtual ~RouterClient() = default;
  virtual absl::StatusOr<v1::RouteDecision> Route(const std::string& query,
                                                  const DownstreamCall& call) = 0;
  virtual absl::StatusOr<v1::ListRoutesResponse> ListRoutes(const DownstreamCall& call) = 0;
  // Each tier's estimated chance on `query` from `policy`'s outcome exemplars; NOT_FOUND
  // when the router has none for the policy.
  virtual absl::StatusOr<v1::EstimateTiersResponse> EstimateTiers(const std::string& query,
                                                                  const std::string& policy,
                                                                  const DownstreamCall& call) = 0;
  // Adds `exemplars` to `policy`'s outcome exemplars (shadow evaluation's labels).
  virtual absl::StatusOr<v1::AddOutcomesResponse> AddOutcomes(
      const std::string& policy, const std::vector<v1::OutcomeExemplar>& exemplars,
      const DownstreamCall& call) = 0;
};

class JudgeClient {
 public:
  virtual ~JudgeClient() = default;
  virtual absl::StatusOr<v1::ScoreResponse> Score(const v1::ScoreRequest& request,
                                                  const DownstreamCall& call) = 0;
};

}  // namespace cascade::orchestrator
