#include "services/router/router_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc_runtime/request_context.h"
#include "common/log/logger.h"
#include "common/status/status_mapping.h"
#include "services/router/lib/query_validation.h"
#include "services/router/outcome_proto.h"
#include "services/router/route_proto.h"
#include "services/router/route_request_reader.h"

namespace cascade::router {
namespace {

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

absl::StatusOr<std::string> Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return absl::InvalidArgumentError("unreadable request");
  std::string bytes;
  bytes.reserve(buffer.Length());
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

}  // namespace

RouterService::RouterService(std::shared_ptr<Router> router, std::shared_ptr<RouteUpdater> updater,
                             std::shared_ptr<OutcomeStore> outcomes,
                             std::shared_ptr<RouterMetrics> metrics)
    : router_(std::move(router)),
      updater_(std::move(updater)),
      outcomes_(std::move(outcomes)),
      metrics_(std::move(metrics)) {}

grpc::ServerUnaryReactor* RouterService::Route(grpc::CallbackServerContext* context,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) {
  AcceptRequestId(context);
  absl::StatusOr<std::string> serialized = Flatten(*request);
  if (!serialized.ok()) return FinishNow(context, serialized.status());
  absl::StatusOr<std::string> query = ReadRouteRequestQuery(*serialized);
  if (!query.ok()) return FinishNow(context, query.status());
  absl::StatusOr<Decision> decision = router_->Route(*query);
  if (!decision.ok()) {
    const absl::Status& status = decision.status();
    if (!absl::IsInvalidArgument(status)) {
      // A remote embedder failed (down, slow, or answering nonsense). Every such query fails
      // alike, so the caller (the orchestrator) should start at its first tier rather than
      // retry here: UNAVAILABLE, which it treats as "no routing decision".
      metrics_->RecordEmbedFailure();
      LogWarn("route_embed_failed", {{"error", std::string(status.message())}});
      return FinishNow(context, absl::UnavailableError(absl::StrCat(
                                    "the router cannot embed the query (start at the first "
                                    "tier): ",
                                    status.message())));
    }
    return FinishNow(context, status);
  }
  metrics_->RecordDecision(*decision);
  grpc::Slice reply(DecisionToProto(*decision).SerializeAsString());
  *response = grpc::ByteBuffer(&reply, 1);
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* RouterService::UpsertRoutes(
    grpc::CallbackServerContext* context, const cascade::v1::UpsertRoutesRequest* request,
    cascade::v1::UpsertRoutesResponse* response) {
  AcceptRequestId(context);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  updates_.Post([this, request, response, reactor] {
    std::vector<RouteSpec> routes;
    routes.reserve(request->routes_size());
    for (const cascade::v1::RouteSpec& route : request->routes()) {
      routes.push_back(RouteSpecFromProto(route));
    }
    absl::StatusOr<size_t> exemplars = updater_->Upsert(routes);
    if (exemplars.ok()) response->set_exemplars(static_cast<int64_t>(*exemplars));
    reactor->Finish(ToGrpcStatus(exemplars.status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* RouterService::DeleteRoute(grpc::CallbackServerContext* context,
                                                     const cascade::v1::DeleteRouteRequest* request,
                                                     cascade::v1::DeleteRouteResponse*) {
  AcceptRequestId(context);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  updates_.Post([this, request, reactor] {
    reactor->Finish(ToGrpcStatus(updater_->Delete(request->name())));
  });
  return reactor;
}

grpc::ServerUnaryReactor* RouterService::ListRoutes(grpc::CallbackServerContext* context,
                                                    const cascade::v1::ListRoutesRequest*,
                                                    cascade::v1::ListRoutesResponse* response) {
  AcceptRequestId(context);
  *response = RouteSetToProto(router_->List());
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* RouterService::EstimateTiers(
    grpc::CallbackServerContext* context, const cascade::v1::EstimateTiersRequest* request,
    cascade::v1::EstimateTiersResponse* response) {
  AcceptRequestId(context);
  if (absl::Status status = ValidateQuery(request->query(), router_->max_query_bytes());
      !status.ok()) {
    return FinishNow(context, status);
  }
  if (request->policy().empty()) {
    return FinishNow(context, absl::InvalidArgumentError("policy must name a policy"));
  }
  absl::StatusOr<std::vector<TierEstimate>> estimates =
      outcomes_->Estimate(request->policy(), request->query());
  if (!estimates.ok()) {
    const bool none = absl::IsNotFound(estimates.status());
    metrics_->RecordTierEstimate(none ? "no_exemplars" : "error");
    if (!none) {
      // The embedder failed; the caller starts at its first tier.
      LogWarn("tier_estimate_failed", {{"policy", request->policy()},
                                       {"error", std::string(estimates.status().message())}});
      return FinishNow(context, absl::UnavailableError(absl::StrCat(
                                    "the router cannot estimate tiers (start at the first "
                                    "tier): ",
                                    estimates.status().message())));
    }
    return FinishNow(context, estimates.status());
  }
  metrics_->RecordTierEstimate("ok");
  for (const TierEstimate& estimate : *estimates) {
    *response->add_estimates() = TierEstimateToProto(estimate);
  }
  for (const OutcomePolicySummary& policy : outcomes_->List()) {
    if (policy.policy == request->policy()) {
      response->set_exemplars(static_cast<int64_t>(policy.exemplars));
    }
  }
  return FinishNow(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* RouterService::AddOutcomes(grpc::CallbackServerContext* context,
                                                     const cascade::v1::AddOutcomesRequest* request,
                                                     cascade::v1::AddOutcomesResponse* response) {
  AcceptRequestId(context);
  constexpr int kMaxPerRequest = 10000;
  if (request->exemplars_size() > kMaxPerRequest) {
    return FinishNow(context,
                     absl::ResourceExhaustedError(absl::StrCat(
                         request->exemplars_size(), " exemplars in one AddOutcomes; send at most ",
                         kMaxPerRequest, " per request")));
  }
  for (int i = 0; i < request->exemplars_size(); ++i) {
    const cascade::v1::OutcomeExemplar& exemplar = request->exemplars(i);
    absl::Status status = ValidateQuery(exemplar.query(), router_->max_query_bytes());
    for (const auto& [tier, quality] : exemplar.tier_quality()) {
      if (status.ok() && FindInvalidUtf8(tier) != absl::string_view::npos) {
        status = absl::InvalidArgumentError("a tier name is not valid UTF-8");
      }
    }
    if (!status.ok()) {
      return FinishNow(context, absl::InvalidArgumentError(
                                    absl::StrCat("exemplars[", i, "]: ", status.message())));
    }
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  updates_.Post([this, request, response, reactor] {
    std::vector<OutcomeExemplar> exemplars;
    exemplars.reserve(request->exemplars_size());
    for (const cascade::v1::OutcomeExemplar& exemplar : request->exemplars()) {
      exemplars.push_back(OutcomeExemplarFromProto(exemplar));
    }
    absl::StatusOr<OutcomeAddResult> added = outcomes_->Add(request->policy(), exemplars);
    if (!added.ok() && !absl::IsInvalidArgument(added.status())) {
      // The exemplars are in service but not on disk: a restart would lose them.
      metrics_->RecordWriteBackFailure();
      LogError("outcomes_write_failed", {{"file", outcomes_->options().file},
                                         {"error", std::string(added.status().message())}});
    }
    for (const OutcomePolicySummary& policy : outcomes_->List()) {
      metrics_->SetOutcomeExemplars(policy.policy, policy.exemplars);
      if (policy.policy == request->policy()) {
        response->set_exemplars(static_cast<int64_t>(policy.exemplars));
      }
    }
    if (added.ok()) {
      response->set_added(static_cast<int64_t>(added->added));
      response->set_merged(static_cast<int64_t>(added->merged));
      response->set_evicted(static_cast<int64_t>(added->evicted));
      LogInfo("outcomes_added", {{"policy", request->policy()},
                                 {"added", added->added},
                                 {"merged", added->merged},
                                 {"evicted", added->evicted},
                                 {"exemplars", response->exemplars()}});
    }
    reactor->Finish(ToGrpcStatus(added.status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* RouterService::ListOutcomes(grpc::CallbackServerContext* context,
                                                      const cascade::v1::ListOutcomesRequest*,
                                                      cascade::v1::ListOutcomesResponse* response) {
  AcceptRequestId(context);
  for (const OutcomePolicySummary& policy : outcomes_->List()) {
    *response->add_policies() = OutcomePolicyToProto(policy);
  }
  return FinishNow(context, absl::OkStatus());
}

}  // namespace cascade::router
