#pragma once

// cascade.v1.Cascade on gRPC's callback API: a thin adapter over a CascadeHandler. It takes
// the request id and the caller's deadline, cancels the cascade (and so every downstream
// call) when the caller goes away, and for StreamComplete writes the accepted tier's text
// as it arrives, one write in flight at a time, then a last chunk with the full response.

#include <memory>

#include "cascade/v1/cascade.grpc.pb.h"
#include "common/runtime/call_threads.h"
#include "services/orchestrator/cascade_handler.h"

namespace cascade::orchestrator {

class CascadeService final : public v1::Cascade::CallbackService {
 public:
  explicit CascadeService(std::shared_ptr<CascadeHandler> handler);
  ~CascadeService() override;

  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext* context,
                                     const v1::CascadeRequest* request,
                                     v1::CascadeResponse* response) override;
  grpc::ServerWriteReactor<v1::CascadeChunk>* StreamComplete(
      grpc::CallbackServerContext* context, const v1::CascadeRequest* request) override;

  CascadeHandler& handler() { return *handler_; }
  CallThreads& threads() { return threads_; }

 private:
  std::shared_ptr<CascadeHandler> handler_;
  CallThreads threads_;  // Last: destroyed (and waited for) first.
};

}  // namespace cascade::orchestrator
