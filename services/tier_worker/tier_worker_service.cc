#include "services/tier_worker/tier_worker_service.h"

#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/runtime/request_context.h"
#include "common/status/status_mapping.h"

namespace cascade::tier_worker {
namespace {

using cascade::v1::CompleteChunk;
using cascade::v1::CompleteRequest;
using cascade::v1::CompleteResponse;

class CompleteReactor final : public grpc::ServerUnaryReactor {
 public:
  CompleteReactor(TierWorkerService* service, grpc::CallbackServerContext* context,
                  const CompleteRequest* request, CompleteResponse* response)
      : service_(service), request_(request), response_(response) {
    call_.request_id = AcceptRequestId(context);
    call_.deadline = service->UpstreamDeadline(*context);
    call_.cancel = &cancel_;
    service_->threads().Run([this] { Work(); });
  }

  void OnCancel() override { cancel_.Cancel(); }
  void OnDone() override { delete this; }

 private:
  void Work() {
    auto result = service_->worker().Complete(*request_, call_);
    if (result.ok()) *response_ = *std::move(result);
    // Last: OnDone may delete this before Finish returns.
    Finish(ToGrpcStatus(result.status()));
  }

  TierWorkerService* service_;
  const CompleteRequest* request_;
  CompleteResponse* response_;
  CancellationToken cancel_;
  CallContext call_;
};

class StreamReactor final : public grpc::ServerWriteReactor<CompleteChunk>, public DeltaSink {
 public:
  StreamReactor(TierWorkerService* service, grpc::CallbackServerContext* context,
                const CompleteRequest* request)
      : service_(service), request_(request) {
    call_.request_id = AcceptRequestId(context);
    call_.deadline = service->UpstreamDeadline(*context);
    call_.cancel = &cancel_;
    service_->threads().Run([this] { Work(); });
  }

  // Called on the worker thread: waits for the previous write, so a slow reader slows
  // the upstream read instead of growing a queue.
  bool OnDelta(const CompleteChunk& delta) override {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &StreamReactor::CanWriteOrGiveUp));
      if (broken_ || cancelled_) return false;
      writing_ = true;
      pending_ = delta;
    }
    StartWrite(&pending_);
    return true;
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
  bool CanWriteOrGiveUp() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !writing_ || broken_ || cancelled_;
  }
  bool NoWriteInFlight() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !writing_; }

  void Work() {
    auto result = service_->worker().Complete(*request_, call_, this);
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

  TierWorkerService* service_;
  const CompleteRequest* request_;
  CancellationToken cancel_;
  CallContext call_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  CompleteChunk pending_;
  CompleteChunk final_;
};

}  // namespace

TierWorkerService::TierWorkerService(std::shared_ptr<TierWorker> worker,
                                     TierWorkerServiceOptions options)
    : worker_(std::move(worker)), options_(options) {}

TierWorkerService::~TierWorkerService() = default;

absl::Time TierWorkerService::UpstreamDeadline(const grpc::CallbackServerContext& context) const {
  absl::Time deadline = absl::Now() + options_.default_timeout;
  auto caller = context.deadline();
  if (caller != std::chrono::system_clock::time_point::max()) {
    deadline = std::min(deadline, absl::FromChrono(caller) - options_.deadline_margin);
  }
  return deadline;
}

grpc::ServerUnaryReactor* TierWorkerService::Complete(grpc::CallbackServerContext* context,
                                                      const CompleteRequest* request,
                                                      CompleteResponse* response) {
  return new CompleteReactor(this, context, request, response);
}

grpc::ServerWriteReactor<CompleteChunk>* TierWorkerService::StreamComplete(
    grpc::CallbackServerContext* context, const CompleteRequest* request) {
  return new StreamReactor(this, context, request);
}

grpc::ServerUnaryReactor* TierWorkerService::Describe(grpc::CallbackServerContext* context,
                                                      const cascade::v1::DescribeRequest*,
                                                      cascade::v1::DescribeResponse* response) {
  AcceptRequestId(context);
  *response = worker_->Describe();
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace cascade::tier_worker
