#include "services/orchestrator/grpc_clients.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_runtime/request_context.h"
#include "common/security/grpc_security.h"
#include "common/status/status_mapping.h"

namespace cascade::orchestrator {
namespace {

// A ClientContext wired to `call`; the cancellation callback lives as long as the context.
class CallContext {
 public:
  explicit CallContext(const DownstreamCall& call) {
    if (call.deadline != absl::InfiniteFuture()) {
      context_.set_deadline(absl::ToChronoTime(call.deadline));
    }
    if (!call.request_id.empty()) context_.AddMetadata(kRequestIdHeader, call.request_id);
    if (call.cancellation != nullptr) {
      cancel_.emplace(call.cancellation, [this] { context_.TryCancel(); });
    }
  }
  grpc::ClientContext* get() { return &context_; }

 private:
  grpc::ClientContext context_;
  std::optional<ScopedCancellationCallback> cancel_;  // Destroyed before context_.
};

}  // namespace

grpc::ChannelArguments DownstreamChannelArguments() {
  grpc::ChannelArguments arguments;
  // Fail fast while a tier is down instead of waiting out the deadline for a connection.
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return arguments;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   DownstreamChannelArguments());
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const v1::ClientConfig& endpoint,
                                                           absl::string_view field) {
  return ChannelFromConfig(endpoint, field, DownstreamChannelArguments());
}

GrpcTierClient::GrpcTierClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::TierWorker::NewStub(std::move(channel))) {}

absl::StatusOr<v1::CompleteResponse> GrpcTierClient::Complete(const v1::CompleteRequest& request,
                                                              const DownstreamCall& call,
                                                              const TextSink* on_text) {
  CallContext context(call);
  v1::CompleteResponse response;
  if (on_text == nullptr) {
    grpc::Status status = stub_->Complete(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }
  auto reader = stub_->StreamComplete(context.get(), request);
  // The deltas carry the text and logprobs; the last chunk what only the end knows.
  v1::CompleteChunk chunk;
  std::string text;
  google::protobuf::RepeatedPtrField<v1::TokenLogprob> logprobs;
  bool has_final = false;
  while (reader->Read(&chunk)) {
    if (!chunk.text().empty() || chunk.logprobs_size() > 0) {
      (*on_text)(chunk.text(), chunk.logprobs());
      text += chunk.text();
    }
    logprobs.Add(chunk.logprobs().begin(), chunk.logprobs().end());
    if (chunk.has_final()) {
      response = std::move(*chunk.mutable_final());
      has_final = true;
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  if (!has_final) return absl::UnavailableError("the tier's stream ended without its final chunk");
  response.set_text(std::move(text));
  *response.mutable_logprobs() = std::move(logprobs);
  return response;
}

absl::StatusOr<v1::DescribeResponse> GrpcTierClient::Describe(const DownstreamCall& call) {
  CallContext context(call);
  v1::DescribeResponse response;
  grpc::Status status = stub_->Describe(context.get(), v1::DescribeRequest(), &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

GrpcRouterClient::GrpcRouterClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::Router::NewStub(std::move(channel))) {}

absl::StatusOr<v1::RouteDecision> GrpcRouterClient::Route(const std::string& query,
                                                          const DownstreamCall& call) {
  CallContext context(call);
  v1::RouteRequest request;
  request.set_query(query);
  v1::RouteDecision decision;
  grpc::Status status = stub_->Route(context.get(), request, &decision);
  if (!status.ok()) return FromGrpcStatus(status);
  return decision;
}

absl::StatusOr<v1::ListRoutesResponse> GrpcRouterClient::ListRoutes(const DownstreamCall& call) {
  CallContext context(call);
  v1::ListRoutesResponse response;
  grpc::Status status = stub_->ListRoutes(context.get(), v1::ListRoutesRequest(), &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::EstimateTiersResponse> GrpcRouterClient::EstimateTiers(
    const std::string& query, const std::string& policy, const DownstreamCall& call) {
  CallContext context(call);
  v1::EstimateTiersRequest request;
  request.set_query(query);
  request.set_policy(policy);
  v1::EstimateTiersResponse response;
  grpc::Status status = stub_->EstimateTiers(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::AddOutcomesResponse> GrpcRouterClient::AddOutcomes(
    const std::string& policy, const std::vector<v1::OutcomeExemplar>& exemplars,
    const DownstreamCall& call) {
  CallContext context(call);
  v1::AddOutcomesRequest request;
  request.set_policy(policy);
  for (const v1::OutcomeExemplar& exemplar : exemplars) *request.add_exemplars() = exemplar;
  v1::AddOutcomesResponse response;
  grpc::Status status = stub_->AddOutcomes(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

GrpcJudgeClient::GrpcJudgeClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(v1::Judge::NewStub(std::move(channel))) {}

absl::StatusOr<v1::ScoreResponse> GrpcJudgeClient::Score(const v1::ScoreRequest& request,
                                                         const DownstreamCall& call) {
  CallContext context(call);
  v1::ScoreResponse response;
  grpc::Status status = stub_->Score(context.get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

}  // namespace cascade::orchestrator
