#include "services/judge/verdict_client.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_runtime/request_context.h"
#include "common/status/status_mapping.h"

namespace cascade::judge {

TierVerdictClient::TierVerdictClient(TierVerdictClientOptions options)
    : options_(std::move(options)), stub_(v1::TierWorker::NewStub(options_.channel)) {}

absl::StatusOr<v1::CompleteResponse> TierVerdictClient::Complete(const v1::CompleteRequest& request,
                                                                 const CallScope& scope) {
  std::unique_ptr<grpc::ClientContext> context;
  if (scope.server != nullptr) {
    DownstreamOptions downstream;
    downstream.default_timeout = options_.default_timeout;
    context = MakeDownstreamContext(*scope.server, scope.request_id, downstream);
  } else {
    context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + options_.default_timeout);
    if (!scope.request_id.empty()) context->AddMetadata(kRequestIdHeader, scope.request_id);
  }
  v1::CompleteResponse response;
  const grpc::Status status = stub_->Complete(context.get(), request, &response);
  if (!status.ok()) {
    const absl::Status inner = FromGrpcStatus(status);
    return absl::Status(inner.code(), absl::StrCat("llm judge: tier worker at ", options_.address,
                                                   ": ", inner.message()));
  }
  return response;
}

}  // namespace cascade::judge
