#pragma once

// The orchestrator's OpenAI-compatible HTTP front door: POST /v1/chat/completions (whole
// or streamed as SSE) and GET /v1/models over a CascadeHandler. An application using an
// OpenAI SDK switches to Cascade by changing its base URL; `model` names a cascade policy.
//
// Connections are capped (each holds a thread for its life): beyond the cap a request is
// answered 429 at once. A client that goes away cancels its cascade. Takes part in the
// drain: in-flight requests finish until the drain deadline, then are cancelled.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cascade/v1/config.pb.h"
#include "common/concurrency/cancellation.h"
#include "common/grpc_runtime/listen_address.h"
#include "common/grpc_runtime/service_main.h"
#include "services/orchestrator/front_door/front_door_metrics.h"
#include "services/orchestrator/lib/cascade_handler.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace cascade {

namespace orchestrator {
class DisconnectWatcher;
}

struct HttpFrontDoorOptions {
  // Connections served at once; one more is answered 429.
  int max_connections = 64;
  // Largest request body; larger is 413.
  int64_t max_body_bytes = 1 << 20;
  // Accepted `Authorization: Bearer` keys; empty = open.
  std::vector<std::string> api_keys;
  // Other model names, each answered by a policy.
  std::map<std::string, std::string> model_aliases;
  // A model that is neither a policy nor an alias gets the default policy (else 404).
  bool unknown_model_to_default = false;
};

// Defaults applied, API keys read from the environment variable the config names.
// FAILED_PRECONDITION naming the field when a value is out of range.
absl::StatusOr<HttpFrontDoorOptions> HttpFrontDoorOptionsFromConfig(
    const v1::OrchestratorHttpConfig& config);

class HttpFrontDoor : public DrainableListener {
 public:
  // `handler` must outlive the door; null answers every /v1 request 503 (no cascade).
  // `registry` receives the door's metrics (front_door_metrics.h); null keeps them private.
  static absl::StatusOr<std::unique_ptr<HttpFrontDoor>> Start(
      const ListenAddress& address, const HttpFrontDoorOptions& options,
      orchestrator::CascadeHandler* handler, prometheus::Registry* registry = nullptr);
  // No handler, default options (the server before the cascade existed).
  static absl::StatusOr<std::unique_ptr<HttpFrontDoor>> Start(const ListenAddress& address);
  ~HttpFrontDoor() override;

  const std::string& address() const override { return bound_address_; }
  void BeginDrain() override { draining_ = true; }
  void Shutdown(std::chrono::system_clock::time_point deadline) override;

 private:
  HttpFrontDoor() = default;

  bool Authorized(const httplib::Request& request) const;
  void ListModels(httplib::Response& response) const;
  // The policy a request's `model` names: itself, through an alias, or (unknown_model:
  // default_policy) the default; NOT_FOUND listing the known names otherwise.
  absl::StatusOr<std::string> PolicyForModel(const std::string& model) const;
  void ChatCompletions(const httplib::Request& request, httplib::Response& response);
  void CancelInFlight();

  HttpFrontDoorOptions options_;
  orchestrator::CascadeHandler* handler_ = nullptr;
  std::unique_ptr<orchestrator::DisconnectWatcher> disconnects_;
  std::unique_ptr<FrontDoorMetrics> metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string bound_address_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> shut_down_{false};

  absl::Mutex mu_;
  // Tokens of the requests being served, cancelled when the drain's grace runs out.
  std::set<std::shared_ptr<CancellationToken>> in_flight_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cascade
