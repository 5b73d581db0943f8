#pragma once

// cascade.v1.Judge on gRPC's callback API: a thin adapter over Judge. A call that needs
// the llm (a blocking tier worker call) runs on its own thread, since gRPC's callback
// threads must never block; the cheap methods answer inline.

#include <memory>

#include "cascade/v1/judge.grpc.pb.h"
#include "common/concurrency/call_threads.h"
#include "services/judge/judge.h"

namespace cascade::judge {

class JudgeService final : public v1::Judge::CallbackService {
 public:
  explicit JudgeService(std::shared_ptr<const Judge> judge);

  grpc::ServerUnaryReactor* Score(grpc::CallbackServerContext* context,
                                  const v1::ScoreRequest* request,
                                  v1::ScoreResponse* response) override;

 private:
  std::shared_ptr<const Judge> judge_;
  CallThreads threads_;  // Last: destroyed (and waited for) first.
};

}  // namespace cascade::judge
