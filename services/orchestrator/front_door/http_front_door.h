#pragma once

// The orchestrator's OpenAI-compatible HTTP front door: POST /v1/chat/completions (whole
// or streamed as SSE) and GET /v1/models over a CascadeHandler. An application using an
// OpenAI SDK switches to Cascade by changing its base URL; `model` names a cascade policy
// or an alias of one.
//
// The HTTP server runs on an event loop (common/http_server): connections hold no thread.
// A chat completion holds one (CallThreads) while its cascade runs; past
// max_concurrent_requests it is answered 429 at once. A client that goes away cancels its
// cascade. Takes part in the drain: in-flight requests finish until the drain deadline,
// then are cancelled.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cascade/v1/config.pb.h"
#include "common/concurrency/call_threads.h"
#include "common/concurrency/cancellation.h"
#include "common/concurrency/concurrency_limiter.h"
#include "common/grpc_runtime/listen_address.h"
#include "common/grpc_runtime/service_main.h"
#include "common/http_server/async_http_server.h"
#include "services/orchestrator/front_door/front_door_metrics.h"
#include "services/orchestrator/lib/cascade_handler.h"

namespace cascade {

struct HttpFrontDoorOptions {
  // Connections open at once; the one past it is answered 429 and closed.
  int max_connections = 1024;
  // Chat completions served at once; the one past it is answered 429.
  int max_concurrent_requests = 1024;
  // Largest request body; larger is 413.
  int64_t max_body_bytes = 1 << 20;
  // Largest request line and headers; larger is 431.
  int64_t max_header_bytes = 16 * 1024;
  // A request must arrive whole within this once begun (408); an idle connection closes
  // after idle_timeout; a client that takes nothing for write_timeout is dropped.
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds write_timeout{30'000};
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

class HttpFrontDoor : public DrainableListener, private http::HttpHandler {
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
  void BeginDrain() override {}
  void Shutdown(std::chrono::system_clock::time_point deadline) override;

 private:
  HttpFrontDoor() = default;

  // http::HttpHandler, on a network thread: routes, authorises, and hands a chat
  // completion to a call thread.
  void Handle(std::shared_ptr<http::HttpExchange> exchange) override;
  http::HttpResponse Rejected(const http::HttpRejection& rejection) override;

  bool Authorized(const http::HttpRequest& request) const;
  http::HttpResponse ListModels() const;
  // The policy a request's `model` names: itself, through an alias, or (unknown_model:
  // default_policy) the default; NOT_FOUND listing the known names otherwise.
  absl::StatusOr<std::string> PolicyForModel(const std::string& model) const;
  // On a call thread: runs the cascade and writes the whole or streamed answer.
  void ChatCompletions(http::HttpExchange& exchange);
  void CancelInFlight();

  HttpFrontDoorOptions options_;
  orchestrator::CascadeHandler* handler_ = nullptr;
  std::unique_ptr<FrontDoorMetrics> metrics_;
  std::unique_ptr<ConcurrencyLimiter> limiter_;
  std::unique_ptr<CallThreads> calls_;
  std::unique_ptr<http::AsyncHttpServer> server_;
  std::string bound_address_;
  std::atomic<bool> shut_down_{false};
  // The drain's grace ran out: what is still running, or arrives, is cancelled.
  std::atomic<bool> grace_over_{false};

  absl::Mutex mu_;
  // Tokens of the requests being served, cancelled when the drain's grace runs out.
  std::set<std::shared_ptr<CancellationToken>> in_flight_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cascade
