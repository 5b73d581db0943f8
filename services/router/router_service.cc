#include "services/router/router_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/grpc_runtime/request_context.h"
#include "common/log/logger.h"
#include "common/status/status_mapping.h"
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
                             std::shared_ptr<RouterMetrics> metrics)
    : router_(std::move(router)), updater_(std::move(updater)), metrics_(std::move(metrics)) {}

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

}  // namespace cascade::router
