#pragma once

// The real TierClient, RouterClient and JudgeClient: blocking gRPC stubs. Each call carries
// the request id (x-request-id), its deadline, and is cancelled (TryCancel) the moment the
// request's CancellationToken fires.

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/strings/string_view.h"
#include "cascade/v1/config.pb.h"
#include "cascade/v1/judge.grpc.pb.h"
#include "cascade/v1/router.grpc.pb.h"
#include "cascade/v1/tier.grpc.pb.h"
#include "services/orchestrator/lib/clients.h"

namespace cascade::orchestrator {

// A plaintext channel (benchmarks and tests).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);
// A channel with the endpoint's TLS and API key; FAILED_PRECONDITION naming `field`.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const v1::ClientConfig& endpoint,
                                                           absl::string_view field);

class GrpcTierClient final : public TierClient {
 public:
  explicit GrpcTierClient(std::shared_ptr<grpc::Channel> channel);
  absl::StatusOr<v1::CompleteResponse> Complete(const v1::CompleteRequest& request,
                                                const DownstreamCall& call,
                                                const TextSink* on_text) override;
  absl::StatusOr<v1::DescribeResponse> Describe(const DownstreamCall& call) override;

 private:
  std::unique_ptr<v1::TierWorker::Stub> stub_;
};

class GrpcRouterClient final : public RouterClient {
 public:
  explicit GrpcRouterClient(std::shared_ptr<grpc::Channel> channel);
  absl::StatusOr<v1::RouteDecision> Route(const std::string& query,
                                          const DownstreamCall& call) override;
  absl::StatusOr<v1::ListRoutesResponse> ListRoutes(const DownstreamCall& call) override;
  absl::StatusOr<v1::EstimateTiersResponse> EstimateTiers(const std::string& query,
                                                          const std::string& policy,
                                                          const DownstreamCall& call) override;
  absl::StatusOr<v1::AddOutcomesResponse> AddOutcomes(
      const std::string& policy, const std::vector<v1::OutcomeExemplar>& exemplars,
      const DownstreamCall& call) override;

 private:
  std::unique_ptr<v1::Router::Stub> stub_;
};

class GrpcJudgeClient final : public JudgeClient {
 public:
  explicit GrpcJudgeClient(std::shared_ptr<grpc::Channel> channel);
  absl::StatusOr<v1::ScoreResponse> Score(const v1::ScoreRequest& request,
                                          const DownstreamCall& call) override;

 private:
  std::unique_ptr<v1::Judge::Stub> stub_;
};

}  // namespace cascade::orchestrator
