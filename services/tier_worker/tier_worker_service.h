#pragma once

// cascade.v1.TierWorker on gRPC's callback API: a thin adapter over TierWorker. It takes
// the request id, turns the caller's deadline into the upstream's (less a margin), turns
// the caller's cancellation into the upstream's, runs the blocking backend call on its
// own thread and streams deltas (common/grpc_runtime/server_stream.h), then a last chunk
// with the response less its text and logprobs.

#include <memory>

#include "absl/time/time.h"
#include "cascade/v1/tier.grpc.pb.h"
#include "common/concurrency/call_threads.h"
#include "services/tier_worker/tier_worker.h"

namespace cascade::tier_worker {

struct TierWorkerServiceOptions {
  // Kept back from the caller's deadline for our own work after the upstream answers.
  absl::Duration deadline_margin = absl::Milliseconds(20);
  // The upstream's timeout when the caller set no deadline.
  absl::Duration default_timeout = absl::Seconds(60);
};

class TierWorkerService final : public cascade::v1::TierWorker::CallbackService {
 public:
  TierWorkerService(std::shared_ptr<TierWorker> worker, TierWorkerServiceOptions options);
  // Waits for calls still running on their threads.
  ~TierWorkerService() override;

  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext* context,
                                     const cascade::v1::CompleteRequest* request,
                                     cascade::v1::CompleteResponse* response) override;
  grpc::ServerWriteReactor<cascade::v1::CompleteChunk>* StreamComplete(
      grpc::CallbackServerContext* context, const cascade::v1::CompleteRequest* request) override;
  grpc::ServerUnaryReactor* Describe(grpc::CallbackServerContext* context,
                                     const cascade::v1::DescribeRequest* request,
                                     cascade::v1::DescribeResponse* response) override;

  // The upstream deadline of a call served with `context`.
  absl::Time UpstreamDeadline(const grpc::CallbackServerContext& context) const;
  TierWorker& worker() { return *worker_; }
  CallThreads& threads() { return threads_; }

 private:
  std::shared_ptr<TierWorker> worker_;
  TierWorkerServiceOptions options_;
  CallThreads threads_;  // Last: destroyed (and waited for) first.
};

}  // namespace cascade::tier_worker
