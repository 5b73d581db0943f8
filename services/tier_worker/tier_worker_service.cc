#include "services/tier_worker/tier_worker_service.h"

#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/grpc_runtime/request_context.h"
#include "common/grpc_runtime/server_stream.h"
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

// The answer as it streams: the backend's deltas (text and logprobs), then a last chunk
// with what only the end knows (finish reason, usage, cost); the client assembles the text
// and logprobs from the deltas.
class StreamReactor final : public ServerStream<CompleteChunk>, public DeltaSink {
 public:
  StreamReactor(TierWorkerService* service, grpc::CallbackServerContext* context,
                const CompleteRequest* request)
      : service_(service), request_(request) {
    call_.request_id = AcceptRequestId(context);
    call_.deadline = service->UpstreamDeadline(*context);
    call_.cancel = &cancellation();
    service_->threads().Run([this] { Work(); });
  }

  // On the worker thread; never blocks on the client (the stream merges what waits).
  bool OnDelta(const CompleteChunk& delta) override { return Send(delta); }

 private:
  void Work() {
    auto result = service_->worker().Complete(*request_, call_, this);
    if (!result.ok()) {
      Close(std::nullopt, ToGrpcStatus(result.status()));
      return;
    }
    CompleteChunk last;
    *last.mutable_final() = *std::move(result);
    // The deltas carried these.
    last.mutable_final()->clear_text();
    last.mutable_final()->clear_logprobs();
    // Last: the stream may be gone when Close returns.
    Close(std::move(last), grpc::Status::OK);
  }

  TierWorkerService* service_;
  const CompleteRequest* request_;
  CallContext call_;
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
