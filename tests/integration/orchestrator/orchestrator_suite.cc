#include "tests/integration/orchestrator/orchestrator_suite.h"

#include "tests/support/grpc_probe.h"
#include "tests/support/temp_config.h"

namespace cascade::orchestrator::testing {

using cascade::testing::ServerProcess;
using cascade::testing::WriteTempConfig;

std::string Bin(const std::string& name) { return std::string(CASCADE_BIN_DIR) + "/" + name; }

absl::StatusOr<std::unique_ptr<ServerProcess>> StartTierWorker(const std::string& tier,
                                                               const std::string& base_url,
                                                               const std::string& input_usd,
                                                               const std::string& output_usd) {
  return ServerProcess::Start(
      Bin("cascade-tier-worker"),
      {"--config",
       WriteTempConfig(
           "tier_" + tier + ".yaml",
           "server:\n  drain_delay: 0s\ntier: " + tier + "\nopenai:\n  base_url: " + base_url +
               "\n  model: " + tier + "-model\nprice:\n  input_usd_per_mtok: " + input_usd +
               "\n  output_usd_per_mtok: " + output_usd + "\nretry:\n  max_retries: 0\n")});
}

absl::StatusOr<std::unique_ptr<ServerProcess>> StartOrchestrator(const std::string& yaml) {
  return ServerProcess::Start(
      Bin("cascade-orchestrator"),
      {"--config", WriteTempConfig("orchestrator.yaml", "server:\n  drain_delay: 0s\n" + yaml)});
}

std::unique_ptr<FakeJudge> FakeJudge::Start(double score, int64_t cost_pusd) {
  auto judge = std::unique_ptr<FakeJudge>(new FakeJudge());
  judge->score_ = score;
  judge->cost_pusd_ = cost_pusd;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(judge.get());
  judge->server_ = builder.BuildAndStart();
  judge->address_ = "127.0.0.1:" + std::to_string(port);
  return judge;
}

FakeJudge::~FakeJudge() {
  if (server_) server_->Shutdown(std::chrono::system_clock::now());
}

grpc::Status FakeJudge::Score(grpc::ServerContext*, const v1::ScoreRequest* request,
                              v1::ScoreResponse* response) {
  ++calls_;
  if (request->answer().empty()) return {grpc::StatusCode::INVALID_ARGUMENT, "no answer"};
  response->set_score(score_);
  response->set_cost_pusd(cost_pusd_);
  return grpc::Status::OK;
}

v1::CascadeRequest Ask(const std::string& text, int max_tokens) {
  v1::CascadeRequest request;
  auto* message = request.add_messages();
  message->set_role("user");
  message->set_content(text);
  request.mutable_params()->set_max_tokens(max_tokens);
  return request;
}

std::string MetricsOf(const ServerProcess& process) {
  auto reply = cascade::testing::HttpGet(process.metrics_address(), "/metrics");
  return reply.ok() ? reply->body : "";
}

}  // namespace cascade::orchestrator::testing
