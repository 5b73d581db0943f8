#pragma once

// cascade.v1.Judge on gRPC's callback API: a thin adapter over Judge. A call that needs
// the llm (a blocking tier worker call) runs on its own thread, since gRPC's callback
// threads must never block; the cheap methods answer inline.

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cascade/v1/judge.grpc.pb.h"
#include "services/judge/judge.h"

namespace cascade::judge {

class JudgeService final : public v1::Judge::CallbackService {
 public:
  explicit JudgeService(std::shared_ptr<const Judge> judge);
  // Waits for calls still running on their threads.
  ~JudgeService() override;

  grpc::ServerUnaryReactor* Score(grpc::CallbackServerContext* context,
                                  const v1::ScoreRequest* request,
                                  v1::ScoreResponse* response) override;

 private:
  struct Running {
    absl::Mutex mu;
    int calls ABSL_GUARDED_BY(mu) = 0;
  };
  std::shared_ptr<const Judge> judge_;
  // Shared with the threads: the last one may still be unlocking after we stop waiting.
  std::shared_ptr<Running> running_ = std::make_shared<Running>();
};

}  // namespace cascade::judge
