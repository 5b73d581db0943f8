// cascade-test-front-door: the real HTTP front door over a scripted cascade, so an
// OpenAI SDK can be tested against the door without the services behind it. The cascade
// answers "echo: <last user message>" after a rejected "small" step and an accepted
// "large" one, streaming the answer in three pieces; policy "broken" fails UNAVAILABLE.
// Prints {"event":"listening","http":"HOST:PORT"} on stderr, then serves until SIGTERM.

#include <signal.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "services/orchestrator/front_door/http_front_door.h"

namespace {

class ScriptedCascade : public cascade::orchestrator::CascadeHandler {
 public:
  absl::StatusOr<cascade::v1::CascadeResponse> Complete(
      const cascade::v1::CascadeRequest& request,
      const cascade::orchestrator::CascadeCall& call) override {
    if (request.policy() == "broken") {
      return absl::UnavailableError("every tier failed: small: connection refused");
    }
    const std::string answer = "echo: " + request.messages().rbegin()->content();
    if (call.on_text) {
      const size_t third = answer.size() / 3;
      call.on_text(answer.substr(0, third), {});
      call.on_text(answer.substr(third, third), {});
      call.on_text(answer.substr(2 * third), {});
    }
    cascade::v1::CascadeResponse response;
    response.set_answer(answer);
    response.set_final_tier("large");
    response.set_model("bard-target");
    response.set_route("general");
    response.mutable_usage()->set_prompt_tokens(7);
    response.mutable_usage()->set_completion_tokens(5);
    auto* small = response.add_steps();
    small->set_tier("small");
    small->set_model("bard-draft");
    small->set_method("logprob:mean");
    small->set_confidence(-2.5);
    small->set_cost_pusd(3'600'000);
    auto* large = response.add_steps();
    large->set_tier("large");
    large->set_model("bard-target");
    large->set_method("none");
    large->set_accepted(true);
    large->set_cost_pusd(120'000'000);
    response.set_cost_pusd(123'600'000);
    response.set_baseline_cost_pusd(120'000'000);
    response.set_savings_pusd(-3'600'000);
    response.set_finish_reason(cascade::v1::FINISH_REASON_STOP);
    return response;
  }
  std::vector<std::string> PolicyNames() const override { return {"default", "broken"}; }
};

}  // namespace

int main() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ScriptedCascade cascade;
  auto door = cascade::HttpFrontDoor::Start(cascade::ListenAddress{false, "127.0.0.1", 0, ""},
                                            cascade::HttpFrontDoorOptions{}, &cascade);
  if (!door.ok()) {
    std::cerr << door.status() << "\n";
    return 1;
  }
  std::cerr << nlohmann::json{{"event", "listening"}, {"http", (*door)->address()}}.dump()
            << std::endl;
  int signal = 0;
  sigwait(&signals, &signal);
  (*door)->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}
