#include "common/grpc_runtime/request_context.h"

#include <random>

#include "absl/strings/str_format.h"

namespace cascade {
namespace {

bool UsableRequestId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

std::string NewRequestId() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return absl::StrFormat("%016x%016x", engine(), engine());
}

std::string AcceptRequestId(grpc::CallbackServerContext* context) {
  std::string id;
  const auto& metadata = context->client_metadata();
  auto it = metadata.find(kRequestIdHeader);
  if (it != metadata.end()) id.assign(it->second.data(), it->second.size());
  if (!UsableRequestId(id)) id = NewRequestId();
  context->AddInitialMetadata(kRequestIdHeader, id);
  return id;
}

std::unique_ptr<grpc::ClientContext> MakeDownstreamContext(
    const grpc::CallbackServerContext& server, const std::string& request_id,
    const DownstreamOptions& options) {
  // Cancellation propagates from the caller; the deadline we set ourselves, with a margin.
  auto context = grpc::ClientContext::FromCallbackServerContext(
      server, grpc::PropagationOptions().disable_deadline_propagation());
  auto now = std::chrono::system_clock::now();
  auto deadline = now + options.default_timeout;
  auto caller_deadline = server.deadline();
  if (caller_deadline != std::chrono::system_clock::time_point::max()) {
    deadline = std::min(deadline, caller_deadline - options.deadline_margin);
  }
  context->set_deadline(deadline);
  context->AddMetadata(kRequestIdHeader, request_id);
  return context;
}

}  // namespace cascade
