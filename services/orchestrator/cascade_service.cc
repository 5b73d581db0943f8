#include "services/orchestrator/cascade_service.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/grpc_runtime/request_context.h"
#include "common/grpc_runtime/server_stream.h"
#include "common/log/logger.h"
#include "common/status/status_mapping.h"

namespace cascade::orchestrator {
namespace {

using v1::CascadeChunk;
using v1::CascadeRequest;
using v1::CascadeResponse;

// A slot for the call, or nullopt after logging why there is none (the caller then
// finishes the call with AtLimit()).
std::optional<ConcurrencyLimiter::Permit> Admit(CascadeService* service,
                                                const std::string& request_id) {
  auto permit = service->limiter().TryAcquire();
  if (!permit) {
    LogWarn("request_refused", {{"request_id", request_id},
                                {"why", "max_concurrent_requests reached"},
                                {"limit", service->limiter().max_in_flight()}});
  }
  return permit;
}

grpc::Status AtLimit(CascadeService* service) {
  return grpc::Status(
      grpc::StatusCode::RESOURCE_EXHAUSTED,
      absl::StrCat("the orchestrator is at its limit of ", service->limiter().max_in_flight(),
                   " requests in flight (max_concurrent_requests); retry with "
                   "backoff"));
}

absl::Time CallerDeadline(const grpc::CallbackServerContext& context) {
  auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

class CompleteReactor final : public grpc::ServerUnaryReactor {
 public:
  CompleteReactor(CascadeService* service, grpc::CallbackServerContext* context,
                  const CascadeRequest* request, CascadeResponse* response)
      : service_(service), request_(request), response_(response) {
    call_.request_id = AcceptRequestId(context);
    auto permit = Admit(service, call_.request_id);
    if (!permit) {
      Finish(AtLimit(service));
      return;
    }
    permit_.emplace(*std::move(permit));
    call_.deadline = CallerDeadline(*context);
    call_.cancellation = &cancel_;
    service_->threads().Run([this] { Work(); });
  }

  void OnCancel() override { cancel_.Cancel(); }
  void OnDone() override { delete this; }

 private:
  void Work() {
    auto result = service_->handler().Complete(*request_, call_);
    if (result.ok()) *response_ = *std::move(result);
    // Last: OnDone may delete this before Finish returns.
    Finish(ToGrpcStatus(result.status()));
  }

  CascadeService* service_;
  const CascadeRequest* request_;
  CascadeResponse* response_;
  CancellationToken cancel_;
  CascadeCall call_;
  std::optional<ConcurrencyLimiter::Permit> permit_;  // Released when the call is done.
};

// The cascade's answer as it streams: text deltas, then a last chunk with what only the end
// knows (usage, finish reason, trace, cost); the client assembles the text from the deltas.
class StreamReactor final : public ServerStream<CascadeChunk> {
 public:
  StreamReactor(CascadeService* service, grpc::CallbackServerContext* context,
                const CascadeRequest* request)
      : service_(service), request_(request) {
    call_.request_id = AcceptRequestId(context);
    auto permit = Admit(service, call_.request_id);
    if (!permit) {
      Close(std::nullopt, AtLimit(service));
      return;
    }
    permit_.emplace(*std::move(permit));
    call_.deadline = CallerDeadline(*context);
    call_.cancellation = &cancellation();
    call_.on_text = [this](absl::string_view text, const orchestrator::TokenLogprobs&) {
      CascadeChunk chunk;
      chunk.set_text(std::string(text));
      Send(std::move(chunk));
    };
    service_->threads().Run([this] { Work(); });
  }

 private:
  void Work() {
    auto result = service_->handler().Complete(*request_, call_);
    if (!result.ok()) {
      Close(std::nullopt, ToGrpcStatus(result.status()));
      return;
    }
    CascadeChunk last;
    *last.mutable_final() = *std::move(result);
    last.mutable_final()->clear_answer();  // The deltas carried it.
    // Last: the stream may be gone when Close returns.
    Close(std::move(last), grpc::Status::OK);
  }

  CascadeService* service_;
  const CascadeRequest* request_;
  CascadeCall call_;
  std::optional<ConcurrencyLimiter::Permit> permit_;  // Released when the call is done.
};

}  // namespace

CascadeService::CascadeService(std::shared_ptr<CascadeHandler> handler, int max_in_flight)
    : handler_(std::move(handler)), limiter_(max_in_flight) {}

CascadeService::~CascadeService() = default;

grpc::ServerUnaryReactor* CascadeService::Complete(grpc::CallbackServerContext* context,
                                                   const CascadeRequest* request,
                                                   CascadeResponse* response) {
  return new CompleteReactor(this, context, request, response);
}

grpc::ServerWriteReactor<CascadeChunk>* CascadeService::StreamComplete(
    grpc::CallbackServerContext* context, const CascadeRequest* request) {
  return new StreamReactor(this, context, request);
}

}  // namespace cascade::orchestrator
