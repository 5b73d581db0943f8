#include "services/orchestrator/cascade_service.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log/logger.h"
#include "common/runtime/request_context.h"
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

class StreamReactor final : public grpc::ServerWriteReactor<CascadeChunk> {
 public:
  StreamReactor(CascadeService* service, grpc::CallbackServerContext* context,
                const CascadeRequest* request)
      : service_(service), request_(request) {
    call_.request_id = AcceptRequestId(context);
    auto permit = Admit(service, call_.request_id);
    if (!permit) {
      Finish(AtLimit(service));
      return;
    }
    permit_.emplace(*std::move(permit));
    call_.deadline = CallerDeadline(*context);
    call_.cancellation = &cancel_;
    call_.on_text = [this](absl::string_view text) { Write(text); };
    service_->threads().Run([this] { Work(); });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) broken_ = true;
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
    }
    cancel_.Cancel();
  }

  void OnDone() override { delete this; }

 private:
  // On the request's thread: waits for the previous write, so a slow reader slows the
  // tier's stream instead of growing a queue.
  void Write(absl::string_view text) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &StreamReactor::CanWriteOrGiveUp));
      if (broken_ || cancelled_) return;
      writing_ = true;
      pending_.set_text(std::string(text));
    }
    StartWrite(&pending_);
  }

  bool CanWriteOrGiveUp() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !writing_ || broken_ || cancelled_;
  }
  bool NoWriteInFlight() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !writing_; }

  void Work() {
    auto result = service_->handler().Complete(*request_, call_);
    {
      // Every StartWrite gets its OnWriteDone, cancelled or not.
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &StreamReactor::NoWriteInFlight));
    }
    if (!result.ok()) {
      Finish(ToGrpcStatus(result.status()));
      return;
    }
    *final_.mutable_final() = *std::move(result);
    // Last: OnDone may delete this before it returns.
    StartWriteAndFinish(&final_, grpc::WriteOptions(), grpc::Status::OK);
  }

  CascadeService* service_;
  const CascadeRequest* request_;
  CancellationToken cancel_;
  CascadeCall call_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  CascadeChunk pending_;
  CascadeChunk final_;
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
