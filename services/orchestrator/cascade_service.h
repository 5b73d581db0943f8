#pragma once

// cascade.v1.Cascade on gRPC's callback API: a thin adapter over a CascadeHandler. It takes
// the request id and the caller's deadline, cancels the cascade (and so every downstream
// call) when the caller goes away, and for StreamComplete writes the accepted tier's text
// as it arrives (common/grpc_runtime/server_stream.h), then a last chunk with the response
// less its text.
// Each call holds a thread; past `max_in_flight` calls at once, a call is refused at once
// with RESOURCE_EXHAUSTED (and a warning log line) instead of growing threads without bound.

#include <memory>

#include "cascade/v1/cascade.grpc.pb.h"
#include "common/concurrency/call_threads.h"
#include "common/concurrency/concurrency_limiter.h"
#include "services/orchestrator/lib/cascade_handler.h"

namespace cascade::orchestrator {

class CascadeService final : public v1::Cascade::CallbackService {
 public:
  static constexpr int kDefaultMaxInFlight = 1024;

  explicit CascadeService(std::shared_ptr<CascadeHandler> handler,
                          int max_in_flight = kDefaultMaxInFlight);
  ~CascadeService() override;

  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext* context,
                                     const v1::CascadeRequest* request,
                                     v1::CascadeResponse* response) override;
  grpc::ServerWriteReactor<v1::CascadeChunk>* StreamComplete(
      grpc::CallbackServerContext* context, const v1::CascadeRequest* request) override;

  CascadeHandler& handler() { return *handler_; }
  CallThreads& threads() { return threads_; }
  ConcurrencyLimiter& limiter() { return limiter_; }

 private:
  std::shared_ptr<CascadeHandler> handler_;
  ConcurrencyLimiter limiter_;
  CallThreads threads_;  // Last: destroyed (and waited for) first.
};

}  // namespace cascade::orchestrator
