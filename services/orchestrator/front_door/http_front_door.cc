#include "services/orchestrator/front_door/http_front_door.h"

#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/config/config_loader.h"
#include "common/grpc_runtime/request_context.h"
#include "common/log/logger.h"
#include "common/security/api_keys.h"
#include "common/text/utf8.h"
#include "services/orchestrator/front_door/http_front_door_disconnects.h"
#include "services/orchestrator/front_door/http_front_door_pool.h"
#include "services/orchestrator/front_door/openai_request.h"
#include "services/orchestrator/front_door/openai_response.h"

namespace cascade {
namespace {

using nlohmann::json;
using orchestrator::CompletionIdentity;
using orchestrator::HttpErrorFromStatus;

// The metrics' policy label of a request that named no configured policy.
constexpr char kUnknownPolicy[] = "-";

// Threads of the reject lane: they only answer 429, so two keep up with a flood.
constexpr size_t kRejectWorkers = 2;

void SendJson(httplib::Response& response, int status, const json& body) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

void SendError(httplib::Response& response, const absl::Status& status) {
  orchestrator::HttpError error = HttpErrorFromStatus(status);
  SendJson(response, error.status, error.body);
}

// The same rule as gRPC's x-request-id: printable ASCII, at most 128 bytes.
bool UsableRequestId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string HeaderJson(const json& value) {
  // ASCII only: header values must not carry raw UTF-8.
  return value.dump(-1, ' ', /*ensure_ascii=*/true);
}

// Clients cap response headers (Node's at 16 KiB in all); the body always has the whole trace.
constexpr size_t kMaxTraceHeaderBytes = 4096;

void SetTraceHeaders(httplib::Response& response, const v1::CascadeResponse& result) {
  response.set_header("x-cascade-final-tier", result.final_tier());
  response.set_header("x-cascade-cost-pusd", absl::StrCat(result.cost_pusd()));
  json trace = orchestrator::CascadeTraceJson(result);
  std::string header = HeaderJson(trace);
  if (header.size() > kMaxTraceHeaderBytes) {
    // Long step errors: the header keeps the summary, the body the steps.
    trace["steps"] = result.steps_size();
    header = HeaderJson(trace);
  }
  response.set_header("x-cascade-trace", header);
}

}  // namespace

absl::StatusOr<HttpFrontDoorOptions> HttpFrontDoorOptionsFromConfig(
    const v1::OrchestratorHttpConfig& config) {
  HttpFrontDoorOptions options;
  if (config.max_connections() < 0 || config.max_connections() > 4096) {
    return absl::FailedPreconditionError("http.max_connections must be between 1 and 4096");
  }
  if (config.max_connections() > 0) options.max_connections = config.max_connections();
  if (config.max_body_bytes() < 0) {
    return absl::FailedPreconditionError("http.max_body_bytes must be positive");
  }
  if (config.max_body_bytes() > 0) options.max_body_bytes = config.max_body_bytes();
  if (!config.api_keys_env().empty()) {
    auto keys = ReadApiKeysFromEnv(config.api_keys_env(), "http.api_keys_env");
    if (!keys.ok()) return keys.status();
    options.api_keys = *std::move(keys);
  }
  for (const auto& [alias, policy] : config.model_aliases()) {
    if (alias.empty() || !IsValidUtf8(alias) || !IsValidUtf8(policy)) {
      return absl::FailedPreconditionError(
          "http.model_aliases: every alias must be a non-empty UTF-8 name");
    }
    options.model_aliases[alias] = policy;
  }
  if (config.unknown_model() == "default_policy") {
    options.unknown_model_to_default = true;
  } else if (!config.unknown_model().empty() && config.unknown_model() != "not_found") {
    return absl::FailedPreconditionError(
        absl::StrCat("http.unknown_model '", config.unknown_model(),
                     "' must be \"not_found\" (default) or \"default_policy\""));
  }
  return options;
}

absl::StatusOr<std::unique_ptr<HttpFrontDoor>> HttpFrontDoor::Start(const ListenAddress& address) {
  return Start(address, HttpFrontDoorOptions{}, nullptr);
}

absl::StatusOr<std::unique_ptr<HttpFrontDoor>> HttpFrontDoor::Start(
    const ListenAddress& address, const HttpFrontDoorOptions& options,
    orchestrator::CascadeHandler* handler, prometheus::Registry* registry) {
  if (address.is_unix) return absl::InvalidArgumentError("http_listen must be HOST:PORT");
  if (options.max_connections <= 0) {
    return absl::InvalidArgumentError("max_connections must be positive");
  }
  std::unique_ptr<HttpFrontDoor> self(new HttpFrontDoor());
  self->options_ = options;
  self->handler_ = handler;
  self->disconnects_ = std::make_unique<orchestrator::DisconnectWatcher>();
  self->metrics_ = std::make_unique<FrontDoorMetrics>(registry);
  self->server_ = std::make_unique<httplib::Server>();
  HttpFrontDoor* door = self.get();
  httplib::Server& server = *self->server_;

  const size_t workers = static_cast<size_t>(options.max_connections);
  server.new_task_queue = [workers] {
    return new orchestrator::ConnectionPool(workers, kRejectWorkers);
  };
  server.set_payload_max_length(static_cast<size_t>(options.max_body_bytes));
  // httplib writes a response's headers and body separately: with Nagle on, the body waits
  // for the client's delayed ACK, 40 ms on every answer of a kept-alive connection.
  server.set_tcp_nodelay(true);
  // httplib closes a kept-alive connection after 5 requests by default; clients then
  // reconnect at a fifth of the request rate and overflow httplib's listen backlog of 5
  // (SYN retries: answers 1-7 s late). nginx's default, 1000, makes reconnects rare.
  server.set_keep_alive_max_count(1000);
  server.set_pre_routing_handler([door](const httplib::Request& request,
                                        httplib::Response& response) {
    if (orchestrator::ConnectionPool::RejectingThisThread()) {
      LogWarn("http_connection_rejected",
              {{"reason", "max_connections"}, {"max_connections", door->options_.max_connections}});
      door->metrics_->RecordRejected("max_connections");
      SendJson(response, 429,
               orchestrator::ErrorJson(
                   absl::StrCat("the front door serves ", door->options_.max_connections,
                                " connections at once and all are busy; retry shortly"),
                   "rate_limit_error", "too_many_connections"));
      // Frees the reject lane: the client reconnects into the pool.
      response.set_header("Connection", "close");
      response.set_header("Retry-After", "1");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (absl::StartsWith(request.path, "/v1/") && !door->Authorized(request)) {
      door->metrics_->RecordRejected("unauthorized");
      LogInfo(
          "http_request_rejected",
          {{"reason", "unauthorized"}, {"path", request.path}, {"remote", request.remote_addr}});
      SendError(response, absl::UnauthenticatedError(
                              "missing or wrong API key: send `Authorization: Bearer KEY`"));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.Get("/v1/models", [door](const httplib::Request&, httplib::Response& response) {
    door->ListModels(response);
  });
  server.Post("/v1/chat/completions",
              [door](const httplib::Request& request, httplib::Response& response) {
                door->ChatCompletions(request, response);
              });
  // httplib calls this for every status >= 400; only fill in what has no body yet.
  server.set_error_handler([door](const httplib::Request& request, httplib::Response& response) {
    if (!response.body.empty() || response.has_header("Content-Type")) return;
    if (response.status == 413) {
      door->metrics_->RecordRejected("body_too_large");
      LogInfo(
          "http_request_rejected",
          {{"reason", "body_too_large"}, {"path", request.path}, {"remote", request.remote_addr}});
    }
    if (response.status == 404) {
      SendJson(response, 404,
               orchestrator::ErrorJson(
                   absl::StrCat("no route ", request.method, " ", request.path,
                                "; the front door serves POST /v1/chat/completions and "
                                "GET /v1/models"),
                   "invalid_request_error", "not_found"));
    } else if (response.status == 413) {
      SendJson(response, 413,
               orchestrator::ErrorJson("the request body is larger than the front door's "
                                       "limit (http.max_body_bytes)",
                                       "invalid_request_error", "request_too_large"));
    } else {
      SendJson(response, response.status,
               orchestrator::ErrorJson(absl::StrCat("HTTP ", response.status),
                                       "invalid_request_error", ""));
    }
  });
  int port = address.port == 0
                 ? server.bind_to_any_port(address.host)
                 : (server.bind_to_port(address.host, address.port) ? address.port : -1);
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot bind the HTTP address ", address.ToGrpcTarget()));
  }
  self->bound_address_ = ListenAddress{false, address.host, port, ""}.ToGrpcTarget();
  if (options.api_keys.empty()) {
    LogWarn("http_front_door_open",
            {{"address", self->bound_address_},
             {"why", "no API keys configured (http.api_keys_env): every client is accepted"}});
  }
  self->thread_ = std::thread([&server] { server.listen_after_bind(); });
  return self;
}

bool HttpFrontDoor::Authorized(const httplib::Request& request) const {
  if (options_.api_keys.empty()) return true;
  return ApiKeyAccepted(options_.api_keys, BearerKey(request.get_header_value("Authorization")));
}

void HttpFrontDoor::ListModels(httplib::Response& response) const {
  json data = json::array();
  if (handler_ != nullptr) {
    for (const std::string& policy : handler_->PolicyNames()) {
      data.push_back(
          {{"id", policy}, {"object", "model"}, {"created", 0}, {"owned_by", "cascade"}});
    }
    for (const auto& [alias, policy] : options_.model_aliases) {
      data.push_back({{"id", alias},
                      {"object", "model"},
                      {"created", 0},
                      {"owned_by", "cascade"},
                      {"cascade_policy", policy}});
    }
  }
  SendJson(response, 200, {{"object", "list"}, {"data", std::move(data)}});
}

absl::StatusOr<std::string> HttpFrontDoor::PolicyForModel(const std::string& model) const {
  const std::vector<std::string> policies = handler_->PolicyNames();
  if (std::find(policies.begin(), policies.end(), model) != policies.end()) return model;
  if (auto alias = options_.model_aliases.find(model); alias != options_.model_aliases.end()) {
    return alias->second;
  }
  // The default policy is the empty name (PolicyNames lists it first).
  if (options_.unknown_model_to_default) return std::string();
  std::vector<std::string> known = policies;
  for (const auto& [alias, policy] : options_.model_aliases) known.push_back(alias);
  return absl::NotFoundError(absl::StrCat(
      "model '", model, "' is neither a cascade policy nor an alias; GET /v1/models lists them: ",
      absl::StrJoin(known, ", ")));
}

void HttpFrontDoor::ChatCompletions(const httplib::Request& request, httplib::Response& response) {
  const absl::Time start = absl::Now();
  std::string request_id = request.get_header_value(kRequestIdHeader);
  if (!UsableRequestId(request_id)) request_id = NewRequestId();
  response.set_header(kRequestIdHeader, request_id);
  // Refused before the cascade ran: answered, counted and logged like any request.
  auto refuse = [&](const absl::Status& status, const std::string& policy) {
    const int http_status = HttpErrorFromStatus(status).status;
    SendError(response, status);
    metrics_->RecordRequest(policy, http_status);
    metrics_->RecordFirstByte(policy, absl::ToDoubleSeconds(absl::Now() - start));
    LogInfo("http_chat_completion",
            {{"request_id", request_id},
             {"policy", policy},
             {"status", http_status},
             {"code", absl::StatusCodeToString(status.code())},
             {"remote", request.remote_addr},
             {"duration_seconds", absl::ToDoubleSeconds(absl::Now() - start)},
             {"error", std::string(status.message())}});
  };
  if (handler_ == nullptr) {
    refuse(absl::UnavailableError("the cascade is not configured"), kUnknownPolicy);
    return;
  }
  absl::StatusOr<orchestrator::ChatCompletionRequest> parsed =
      orchestrator::ParseChatCompletionRequest(request.body);
  if (!parsed.ok()) {
    refuse(parsed.status(), kUnknownPolicy);
    return;
  }
  absl::StatusOr<std::string> policy = PolicyForModel(parsed->model);
  if (!policy.ok()) {
    refuse(policy.status(), kUnknownPolicy);
    return;
  }
  parsed->cascade.set_policy(*policy);
  // The metrics' label: the policy that serves the request (the default's own name).
  std::string policy_label = *policy;
  if (policy_label.empty()) {
    const std::vector<std::string> names = handler_->PolicyNames();
    policy_label = names.empty() ? kUnknownPolicy : names.front();
  }
  const CompletionIdentity identity{absl::StrCat("chatcmpl-", request_id),
                                    absl::ToUnixSeconds(start), parsed->model};
  auto token = std::make_shared<CancellationToken>();
  {
    absl::MutexLock lock(&mu_);
    in_flight_.insert(token);
  }
  if (shut_down_) token->Cancel();  // Arrived after the drain's grace ran out.
  const int socket = orchestrator::FindConnectedSocket(request.local_addr, request.local_port,
                                                       request.remote_addr, request.remote_port);
  // Everything the call needs, kept alive until the (possibly streamed) answer is written.
  struct CallState {
    HttpFrontDoor* door;
    orchestrator::ChatCompletionRequest request;
    CompletionIdentity identity;
    std::shared_ptr<CancellationToken> token;
    int socket;
    std::string request_id;
    absl::Time start;
    std::string policy;  // The metrics' label.
    std::string remote;
    // In flight from here until the (possibly streamed) answer is written or abandoned.
    std::shared_ptr<void> in_flight;
  };
  metrics_->in_flight().Increment();
  std::shared_ptr<void> in_flight(nullptr, [this](void*) { metrics_->in_flight().Decrement(); });
  auto state = std::make_shared<CallState>(CallState{this, *std::move(parsed), identity, token,
                                                     socket, request_id, start, policy_label,
                                                     request.remote_addr, std::move(in_flight)});
  // Runs the cascade, watching the client's connection meanwhile; logs the outcome.
  auto run = [](CallState& call, std::function<void(absl::string_view)> on_text) {
    orchestrator::CascadeCall cascade_call;
    cascade_call.request_id = call.request_id;
    cascade_call.cancellation = call.token.get();
    cascade_call.on_text = std::move(on_text);
    cascade_call.temperature_unset = call.request.temperature_unset;
    const int64_t watch =
        call.socket >= 0 ? call.door->disconnects_->Watch(call.socket, call.token.get()) : -1;
    absl::StatusOr<v1::CascadeResponse> result =
        call.door->handler_->Complete(call.request.cascade, cascade_call);
    if (watch >= 0) call.door->disconnects_->Unwatch(watch);
    {
      absl::MutexLock lock(&call.door->mu_);
      call.door->in_flight_.erase(call.token);
    }
    // A stream that fails after its headers counts under the status its error maps to.
    const int http_status = result.ok() ? 200 : HttpErrorFromStatus(result.status()).status;
    call.door->metrics_->RecordRequest(call.policy, http_status);
    json fields = {{"request_id", call.request_id},
                   {"policy", call.policy},
                   {"model", call.request.model},
                   {"stream", call.request.stream},
                   {"status", http_status},
                   {"code", absl::StatusCodeToString(result.status().code())},
                   {"remote", call.remote},
                   {"duration_seconds", absl::ToDoubleSeconds(absl::Now() - call.start)}};
    if (result.ok()) {
      fields["final_tier"] = result->final_tier();
      fields["cost_pusd"] = result->cost_pusd();
    } else {
      fields["error"] = std::string(result.status().message());
    }
    LogInfo("http_chat_completion", fields);
    return result;
  };

  if (!state->request.stream) {
    absl::StatusOr<v1::CascadeResponse> result = run(*state, nullptr);
    metrics_->RecordFirstByte(state->policy, absl::ToDoubleSeconds(absl::Now() - start));
    if (!result.ok()) {
      SendError(response, result.status());
      return;
    }
    SetTraceHeaders(response, *result);
    SendJson(response, 200, orchestrator::ChatCompletionJson(state->identity, *result));
    return;
  }

  response.set_header("Cache-Control", "no-cache");
  // Proxies (nginx's ingress) must pass each event on as it comes.
  response.set_header("X-Accel-Buffering", "no");
  response.set_chunked_content_provider("text/event-stream", [state, run](size_t,
                                                                          httplib::DataSink& sink) {
    CallState& call = *state;
    const bool usage = call.request.include_usage;
    absl::Mutex write_mu;
    std::string streamed;
    bool client_gone = false;
    // Text may arrive on a cascade thread; writes are serialised, and a failed write
    // (the client went away) cancels the cascade.
    auto write = [&](const std::string& event) {
      absl::MutexLock lock(&write_mu);
      if (client_gone) return;
      if (!sink.write(event.data(), event.size())) {
        client_gone = true;
        call.token->Cancel();
      }
    };
    FrontDoorMetrics& metrics = *call.door->metrics_;
    std::atomic<bool> first_token_sent{false};
    // The first text or tool call reaches the client: time to first token.
    auto first_token = [&] {
      if (first_token_sent.exchange(true)) return;
      metrics.RecordFirstToken(call.policy, absl::ToDoubleSeconds(absl::Now() - call.start));
    };
    write(orchestrator::SseEvent(orchestrator::RoleChunkJson(call.identity, usage)));
    metrics.RecordFirstByte(call.policy, absl::ToDoubleSeconds(absl::Now() - call.start));
    absl::StatusOr<v1::CascadeResponse> result = run(call, [&](absl::string_view text) {
      {
        absl::MutexLock lock(&write_mu);
        streamed.append(text.data(), text.size());
      }
      write(orchestrator::SseEvent(
          orchestrator::TextChunkJson(call.identity, std::string(text), usage)));
      first_token();
    });
    if (!result.ok()) {
      // Headers (200) are already sent: the error travels as an event, as OpenAI's do.
      write(orchestrator::SseEvent(HttpErrorFromStatus(result.status()).body));
    } else {
      // A handler that did not stream its text (or not all of it) sends the rest now.
      if (result->answer().size() > streamed.size() &&
          absl::StartsWith(result->answer(), streamed)) {
        write(orchestrator::SseEvent(orchestrator::TextChunkJson(
            call.identity, result->answer().substr(streamed.size()), usage)));
        first_token();
      }
      if (result->tool_calls_size() > 0) {
        write(orchestrator::SseEvent(
            orchestrator::ToolCallsChunkJson(call.identity, *result, usage)));
        first_token();
      }
      write(orchestrator::SseEvent(orchestrator::FinishChunkJson(call.identity, *result, usage)));
      if (usage) {
        write(orchestrator::SseEvent(orchestrator::UsageChunkJson(call.identity, *result)));
      }
      write(orchestrator::kSseDone);
    }
    sink.done();
    call.in_flight.reset();  // Not when httplib lets go of the provider: that may be later.
    return true;
  });
}

void HttpFrontDoor::CancelInFlight() {
  std::set<std::shared_ptr<CancellationToken>> tokens;
  {
    absl::MutexLock lock(&mu_);
    tokens = in_flight_;
  }
  for (const auto& token : tokens) token->Cancel();
}

void HttpFrontDoor::Shutdown(std::chrono::system_clock::time_point deadline) {
  if (shut_down_.exchange(true)) return;
  // httplib's stop() waits for the request each worker holds; past the drain's grace
  // those are cancelled so stop() returns.
  absl::Notification stopped;
  std::thread grace([this, deadline, &stopped] {
    if (!stopped.WaitForNotificationWithDeadline(absl::FromChrono(deadline))) CancelInFlight();
  });
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  stopped.Notify();
  grace.join();
}

HttpFrontDoor::~HttpFrontDoor() { Shutdown(std::chrono::system_clock::now()); }

}  // namespace cascade
