// cascade-judge: Judge: scores an answer's quality in [0,1] from token logprobs, validators or an
// LLM judge.

#include "cascade/v1/judge.grpc.pb.h"
#include "common/runtime/service_main.h"

int main(int argc, char** argv) {
  return cascade::ServiceMain<cascade::v1::JudgeConfig>(
      argc, argv, "judge",
      {.binary = "cascade-judge",
       .summary = "Judge: scores an answer's quality in [0,1] from token logprobs, validators or "
                  "an LLM judge.",
       .has_http_listen = false,
       .config_type = ""},
      [](const cascade::v1::JudgeConfig&,
         const cascade::ServiceEnvironment&) -> absl::StatusOr<cascade::ServiceParts> {
        cascade::ServiceParts parts;
        // Not built yet: every method answers UNIMPLEMENTED.
        parts.services.push_back(std::make_unique<cascade::v1::Judge::CallbackService>());
        return parts;
      });
}
