// cascade-judge: Judge: scores an answer's quality in [0,1] from token logprobs, validators or an
// LLM judge.

#include "cascade/v1/judge.grpc.pb.h"
#include "common/grpc_runtime/service_main.h"
#include "common/security/grpc_security.h"
#include "services/judge/judge.h"
#include "services/judge/judge_service.h"

namespace {

absl::StatusOr<cascade::ServiceParts> BuildParts(const cascade::v1::JudgeConfig& config,
                                                 const cascade::ServiceEnvironment& env) {
  absl::StatusOr<cascade::judge::JudgeOptions> options =
      cascade::judge::JudgeOptionsFromConfig(config);
  if (!options.ok()) return options.status();
  std::unique_ptr<cascade::judge::VerdictClient> llm;
  if (!config.llm_tier().address().empty()) {
    cascade::judge::TierVerdictClientOptions client;
    client.address = config.llm_tier().address();
    auto channel = cascade::ChannelFromConfig(config.llm_tier(), "llm_tier");
    if (!channel.ok()) return channel.status();
    client.channel = *std::move(channel);
    if (config.llm_tier().has_timeout()) {
      client.default_timeout =
          std::chrono::milliseconds(config.llm_tier().timeout().seconds() * 1000 +
                                    config.llm_tier().timeout().nanos() / 1000000);
    }
    llm = std::make_unique<cascade::judge::TierVerdictClient>(std::move(client));
  }
  auto metrics = std::make_shared<cascade::judge::JudgeMetrics>(env.registry.get());
  auto judge = std::make_shared<const cascade::judge::Judge>(*std::move(options), std::move(llm),
                                                             metrics.get());
  cascade::ServiceParts parts;
  // Without a config the judge still serves the cheap methods (logprob, validators); the
  // llm method then answers FAILED_PRECONDITION naming llm_tier.
  parts.services.push_back(std::make_unique<cascade::judge::JudgeService>(judge));
  parts.keep_alive.push_back(metrics);
  parts.keep_alive.push_back(env.registry);
  return parts;
}

}  // namespace

int main(int argc, char** argv) {
  return cascade::ServiceMain<cascade::v1::JudgeConfig>(
      argc, argv, "judge",
      {.binary = "cascade-judge",
       .summary = "Judge: scores an answer's quality in [0,1] from token logprobs, validators or "
                  "an LLM judge.",
       .has_http_listen = false,
       .config_type = ""},
      BuildParts);
}
