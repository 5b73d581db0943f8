#include "services/judge/judge_service.h"

#include "common/grpc_runtime/request_context.h"
#include "common/status/status_mapping.h"

namespace cascade::judge {
namespace {

bool NeedsLlm(const v1::ScoreRequest& request) {
  // An empty list means the configured defaults, which may include the llm.
  if (request.methods().empty()) return true;
  for (const std::string& method : request.methods()) {
    if (method == kLlmMethod || method == kCombinedMethod) return true;
  }
  return false;
}

}  // namespace

JudgeService::JudgeService(std::shared_ptr<const Judge> judge) : judge_(std::move(judge)) {}

grpc::ServerUnaryReactor* JudgeService::Score(grpc::CallbackServerContext* context,
                                              const v1::ScoreRequest* request,
                                              v1::ScoreResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  CallScope scope{context, AcceptRequestId(context)};
  auto work = [judge = judge_, reactor, request, response, scope] {
    absl::StatusOr<v1::ScoreResponse> result = judge->Score(*request, scope);
    if (result.ok()) *response = *std::move(result);
    reactor->Finish(ToGrpcStatus(result.status()));
  };
  if (!NeedsLlm(*request)) {
    work();
    return reactor;
  }
  threads_.Run(std::move(work));
  return reactor;
}

}  // namespace cascade::judge
