#pragma once

// Helpers of the orchestrator integration tests: start real tier workers in front of fake
// upstreams, a fake Judge service in this process, and the orchestrator itself.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>

#include "cascade/v1/cascade.grpc.pb.h"
#include "cascade/v1/judge.grpc.pb.h"
#include "tests/support/server_process.h"

namespace cascade::orchestrator::testing {

std::string Bin(const std::string& name);

// A tier worker named `tier` over the OpenAI-compatible upstream at `base_url`, priced
// `input_usd` / `output_usd` per million tokens, never retrying.
absl::StatusOr<std::unique_ptr<cascade::testing::ServerProcess>> StartTierWorker(
    const std::string& tier, const std::string& base_url, const std::string& input_usd,
    const std::string& output_usd);

// The orchestrator with `yaml` as its config (a drain_delay of 0 is added).
absl::StatusOr<std::unique_ptr<cascade::testing::ServerProcess>> StartOrchestrator(
    const std::string& yaml);

// A Judge service in this process answering every Score with `score` and `cost_pusd`.
class FakeJudge final : public v1::Judge::Service {
 public:
  static std::unique_ptr<FakeJudge> Start(double score, int64_t cost_pusd);
  ~FakeJudge() override;
  grpc::Status Score(grpc::ServerContext* context, const v1::ScoreRequest* request,
                     v1::ScoreResponse* response) override;
  const std::string& address() const { return address_; }
  int calls() const { return calls_; }

 private:
  double score_ = 0;
  int64_t cost_pusd_ = 0;
  std::atomic<int> calls_{0};
  std::string address_;
  std::unique_ptr<grpc::Server> server_;
};

v1::CascadeRequest Ask(const std::string& text, int max_tokens = 16);

// The text of /metrics of `process`.
std::string MetricsOf(const cascade::testing::ServerProcess& process);

}  // namespace cascade::orchestrator::testing
