#include "services/orchestrator/front_door/http_front_door.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/config/config_loader.h"
#include "common/config/proto_duration.h"
#include "common/grpc_runtime/request_context.h"
#include "common/log/logger.h"
#include "common/security/api_keys.h"
#include "common/text/utf8.h"
#include "services/orchestrator/front_door/openai_request.h"
#include "services/orchestrator/front_door/openai_response.h"

namespace cascade {
namespace {

using nlohmann::json;
using orchestrator::CompletionIdentity;
using orchestrator::HttpErrorFromStatus;

// The metrics' policy label of a request that named no configured policy.
constexpr char kUnknownPolicy[] = "-";

http::HttpResponse JsonResponse(int status, const json& body) {
  http::HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

http::HttpResponse ErrorResponse(const absl::Status& status) {
  orchestrator::HttpError error = HttpErrorFromStatus(status);
  return JsonResponse(error.status, error.body);
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

void AddTraceHeaders(const v1::CascadeResponse& result, http::HttpHeaders& headers) {
  headers.emplace_back("x-cascade-final-tier", result.final_tier());
  headers.emplace_back("x-cascade-cost-pusd", absl::StrCat(result.cost_pusd()));
  json trace = orchestrator::CascadeTraceJson(result);
  std::string header = HeaderJson(trace);
  if (header.size() > kMaxTraceHeaderBytes) {
    // Long step errors: the header keeps the summary, the body the steps.
    trace["steps"] = result.steps_size();
    header = HeaderJson(trace);
  }
  headers.emplace_back("x-cascade-trace", header);
}

// The error code OpenAI clients see for what the HTTP server refused itself.
std::string RejectionCode(const std::string& reason) {
  if (reason == "body_too_large") return "request_too_large";
  if (reason == "header_too_large") return "headers_too_large";
  if (reason == "max_connections") return "too_many_connections";
  if (reason == "read_timeout") return "request_timeout";
  return "malformed_request";
}

}  // namespace

absl::StatusOr<HttpFrontDoorOptions> HttpFrontDoorOptionsFromConfig(
    const v1::OrchestratorHttpConfig& config) {
  HttpFrontDoorOptions options;
  if (config.max_connections() < 0 || config.max_connections() > 65536) {
    return absl::FailedPreconditionError("http.max_connections must be between 1 and 65536");
  }
  if (config.max_connections() > 0) options.max_connections = config.max_connections();
  if (config.max_concurrent_requests() < 0 || config.max_concurrent_requests() > 65536) {
    return absl::FailedPreconditionError(
        "http.max_concurrent_requests must be between 1 and 65536");
  }
  if (config.max_concurrent_requests() > 0) {
    options.max_concurrent_requests = config.max_concurrent_requests();
  }
  if (config.max_body_bytes() < 0) {
    return absl::FailedPreconditionError("http.max_body_bytes must be positive");
  }
  if (config.max_body_bytes() > 0) options.max_body_bytes = config.max_body_bytes();
  if (config.max_header_bytes() < 0 || config.max_header_bytes() > (1 << 20)) {
    return absl::FailedPreconditionError("http.max_header_bytes must be between 1 and 1048576");
  }
  if (config.max_header_bytes() > 0) options.max_header_bytes = config.max_header_bytes();
  struct Timeout {
    const char* name;
    bool present;
    const google::protobuf::Duration& value;
    std::chrono::milliseconds& out;
  };
  for (const Timeout& timeout : {Timeout{"request_timeout", config.has_request_timeout(),
                                         config.request_timeout(), options.request_timeout},
                                 Timeout{"idle_timeout", config.has_idle_timeout(),
                                         config.idle_timeout(), options.idle_timeout},
                                 Timeout{"write_timeout", config.has_write_timeout(),
                                         config.write_timeout(), options.write_timeout}}) {
    if (!timeout.present) continue;
    if (absl::ToChronoMilliseconds(DurationFromProto(timeout.value)) <=
        std::chrono::milliseconds(0)) {
      return absl::FailedPreconditionError(
          absl::StrCat("http.", timeout.name, " must be at least 1ms"));
    }
    timeout.out = absl::ToChronoMilliseconds(DurationFromProto(timeout.value));
  }
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
  if (options.max_concurrent_requests <= 0) {
    return absl::InvalidArgumentError("max_concurrent_requests must be positive");
  }
  std::unique_ptr<HttpFrontDoor> self(new HttpFrontDoor());
  self->options_ = options;
  self->handler_ = handler;
  self->metrics_ = std::make_unique<FrontDoorMetrics>(registry);
  self->limiter_ = std::make_unique<ConcurrencyLimiter>(options.max_concurrent_requests);
  self->calls_ = std::make_unique<CallThreads>();
  http::AsyncHttpServerOptions server_options;
  server_options.host = address.host;
  server_options.port = address.port;
  server_options.max_connections = options.max_connections;
  server_options.max_header_bytes = options.max_header_bytes;
  server_options.max_body_bytes = options.max_body_bytes;
  server_options.request_timeout = options.request_timeout;
  server_options.idle_timeout = options.idle_timeout;
  server_options.write_timeout = options.write_timeout;
  auto server = http::AsyncHttpServer::Start(server_options, self.get());
  if (!server.ok()) return server.status();
  self->server_ = *std::move(server);
  self->bound_address_ =
      ListenAddress{false, address.host, self->server_->port(), ""}.ToGrpcTarget();
  if (options.api_keys.empty()) {
    LogWarn("http_front_door_open",
            {{"address", self->bound_address_},
             {"why", "no API keys configured (http.api_keys_env): every client is accepted"}});
  }
  return self;
}

void HttpFrontDoor::Handle(std::shared_ptr<http::HttpExchange> exchange) {
  const http::HttpRequest& request = exchange->request();
  if (absl::StartsWith(request.path, "/v1/") && !Authorized(request)) {
    metrics_->RecordRejected("unauthorized");
    LogInfo(
        "http_request_rejected",
        {{"reason", "unauthorized"}, {"path", request.path}, {"remote", request.remote_address}});
    exchange->Respond(ErrorResponse(
        absl::UnauthenticatedError("missing or wrong API key: send `Authorization: Bearer KEY`")));
    return;
  }
  if (request.path == "/v1/models" && request.method == "GET") {
    exchange->Respond(ListModels());
    return;
  }
  if (request.path == "/v1/chat/completions" && request.method == "POST") {
    std::optional<ConcurrencyLimiter::Permit> permit = limiter_->TryAcquire();
    if (!permit) {
      metrics_->RecordRejected("max_concurrent_requests");
      LogWarn("http_request_rejected", {{"reason", "max_concurrent_requests"},
                                        {"max_concurrent_requests", limiter_->max_in_flight()},
                                        {"remote", request.remote_address}});
      http::HttpResponse response = JsonResponse(
          429, orchestrator::ErrorJson(
                   absl::StrCat("the front door serves ", limiter_->max_in_flight(),
                                " chat completions at once and all are busy; retry shortly"),
                   "rate_limit_error", "too_many_requests"));
      response.headers.emplace_back("Retry-After", "1");
      exchange->Respond(std::move(response));
      return;
    }
    auto held = std::make_shared<ConcurrencyLimiter::Permit>(*std::move(permit));
    calls_->Run([this, exchange = std::move(exchange), held] { ChatCompletions(*exchange); });
    return;
  }
  exchange->Respond(JsonResponse(
      404,
      orchestrator::ErrorJson(absl::StrCat("no route ", request.method, " ", request.path,
                                           "; the front door serves POST /v1/chat/completions and "
                                           "GET /v1/models"),
                              "invalid_request_error", "not_found")));
}

http::HttpResponse HttpFrontDoor::Rejected(const http::HttpRejection& rejection) {
  metrics_->RecordRejected(rejection.reason);
  LogInfo("http_request_rejected", {{"reason", rejection.reason},
                                    {"status", rejection.status},
                                    {"remote", rejection.remote_address}});
  return JsonResponse(
      rejection.status,
      orchestrator::ErrorJson(
          rejection.message, rejection.status == 429 ? "rate_limit_error" : "invalid_request_error",
          RejectionCode(rejection.reason)));
}

bool HttpFrontDoor::Authorized(const http::HttpRequest& request) const {
  if (options_.api_keys.empty()) return true;
  return ApiKeyAccepted(options_.api_keys, BearerKey(request.Header("Authorization")));
}

http::HttpResponse HttpFrontDoor::ListModels() const {
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
  return JsonResponse(200, {{"object", "list"}, {"data", std::move(data)}});
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

void HttpFrontDoor::ChatCompletions(http::HttpExchange& exchange) {
  const http::HttpRequest& request = exchange.request();
  const absl::Time start = absl::Now();
  std::string request_id = request.Header(kRequestIdHeader);
  if (!UsableRequestId(request_id)) request_id = NewRequestId();
  const http::HttpHeaders id_header = {{kRequestIdHeader, request_id}};
  // Refused before the cascade ran: answered, counted and logged like any request.
  auto refuse = [&](const absl::Status& status, const std::string& policy) {
    http::HttpResponse response = ErrorResponse(status);
    response.headers = id_header;
    const int http_status = response.status;
    exchange.Respond(std::move(response));
    metrics_->RecordRequest(policy, http_status);
    metrics_->RecordFirstByte(policy, absl::ToDoubleSeconds(absl::Now() - start));
    LogInfo("http_chat_completion",
            {{"request_id", request_id},
             {"policy", policy},
             {"status", http_status},
             {"code", absl::StatusCodeToString(status.code())},
             {"remote", request.remote_address},
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
  const orchestrator::ChatCompletionRequest& call_request = *parsed;
  const CompletionIdentity identity{absl::StrCat("chatcmpl-", request_id),
                                    absl::ToUnixSeconds(start), call_request.model};

  // Cancelled when the client goes away, or when the drain's grace runs out.
  auto token = std::make_shared<CancellationToken>();
  {
    absl::MutexLock lock(&mu_);
    in_flight_.insert(token);
  }
  if (grace_over_) token->Cancel();
  ScopedCancellationCallback on_client_gone(&exchange.client_gone(), [&token] { token->Cancel(); });
  metrics_->in_flight().Increment();

  // Runs the cascade; logs and counts the outcome.
  auto run = [&](orchestrator::TextSink on_text) {
    orchestrator::CascadeCall cascade_call;
    cascade_call.request_id = request_id;
    cascade_call.cancellation = token.get();
    cascade_call.on_text = std::move(on_text);
    cascade_call.temperature_unset = call_request.temperature_unset;
    absl::StatusOr<v1::CascadeResponse> result =
        handler_->Complete(call_request.cascade, cascade_call);
    // A stream that fails after its headers counts under the status its error maps to.
    const int http_status = result.ok() ? 200 : HttpErrorFromStatus(result.status()).status;
    metrics_->RecordRequest(policy_label, http_status);
    json fields = {{"request_id", request_id},
                   {"policy", policy_label},
                   {"model", call_request.model},
                   {"stream", call_request.stream},
                   {"status", http_status},
                   {"code", absl::StatusCodeToString(result.status().code())},
                   {"remote", request.remote_address},
                   {"duration_seconds", absl::ToDoubleSeconds(absl::Now() - start)}};
    if (result.ok()) {
      fields["final_tier"] = result->final_tier();
      fields["cost_pusd"] = result->cost_pusd();
    } else {
      fields["error"] = std::string(result.status().message());
    }
    LogInfo("http_chat_completion", fields);
    return result;
  };

  if (!call_request.stream) {
    absl::StatusOr<v1::CascadeResponse> result = run(nullptr);
    metrics_->RecordFirstByte(policy_label, absl::ToDoubleSeconds(absl::Now() - start));
    http::HttpResponse response =
        result.ok() ? JsonResponse(200, orchestrator::ChatCompletionJson(identity, *result))
                    : ErrorResponse(result.status());
    response.headers = id_header;
    if (result.ok()) AddTraceHeaders(*result, response.headers);
    exchange.Respond(std::move(response));
  } else {
    http::HttpHeaders headers = id_header;
    headers.emplace_back("Cache-Control", "no-cache");
    // Proxies (nginx's ingress) must pass each event on as it comes.
    headers.emplace_back("X-Accel-Buffering", "no");
    exchange.StartStream(200, "text/event-stream", std::move(headers));
    metrics_->RecordFirstByte(policy_label, absl::ToDoubleSeconds(absl::Now() - start));
    const bool usage = call_request.include_usage;
    absl::Mutex write_mu;
    std::string streamed;
    // Text may arrive on a cascade thread; writes keep their order, and a failed write
    // (the client went away) cancels the cascade.
    auto write = [&](const std::string& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
      if (!exchange.Write(event)) token->Cancel();
    };
    bool first_token_sent = false;
    // The first text or tool call reaches the client: time to first token.
    auto first_token = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu) {
      if (std::exchange(first_token_sent, true)) return;
      metrics_->RecordFirstToken(policy_label, absl::ToDoubleSeconds(absl::Now() - start));
    };
    {
      absl::MutexLock lock(&write_mu);
      write(orchestrator::SseEvent(orchestrator::RoleChunkJson(identity, usage)));
    }
    // Each delta carries its tokens' logprobs when the client asked for them.
    const bool with_logprobs = call_request.cascade.params().logprobs();
    int logprobs_sent = 0;
    absl::StatusOr<v1::CascadeResponse> result =
        run([&](absl::string_view text, const orchestrator::TokenLogprobs& logprobs) {
          absl::MutexLock lock(&write_mu);
          streamed.append(text.data(), text.size());
          const bool send_logprobs = with_logprobs && !logprobs.empty();
          if (send_logprobs) logprobs_sent += logprobs.size();
          write(orchestrator::SseEvent(orchestrator::TextChunkJson(
              identity, std::string(text), send_logprobs ? &logprobs : nullptr, usage)));
          first_token();
        });
    absl::MutexLock lock(&write_mu);
    if (!result.ok()) {
      // Headers (200) are already sent: the error travels as an event, as OpenAI's do.
      write(orchestrator::SseEvent(HttpErrorFromStatus(result.status()).body));
    } else {
      // A handler that did not stream its text (or not all of it) sends the rest now,
      // with the logprobs no delta carried.
      orchestrator::TokenLogprobs rest;
      if (result->logprobs_size() > logprobs_sent) {
        rest.Add(result->logprobs().begin() + logprobs_sent, result->logprobs().end());
      }
      if (result->answer().size() > streamed.size() &&
          absl::StartsWith(result->answer(), streamed)) {
        write(orchestrator::SseEvent(
            orchestrator::TextChunkJson(identity, result->answer().substr(streamed.size()),
                                        rest.empty() ? nullptr : &rest, usage)));
        rest.Clear();
        first_token();
      }
      if (result->tool_calls_size() > 0) {
        write(orchestrator::SseEvent(orchestrator::ToolCallsChunkJson(identity, *result, usage)));
        first_token();
      }
      write(orchestrator::SseEvent(
          orchestrator::FinishChunkJson(identity, *result, rest.empty() ? nullptr : &rest, usage)));
      if (usage) write(orchestrator::SseEvent(orchestrator::UsageChunkJson(identity, *result)));
      write(orchestrator::kSseDone);
    }
    exchange.EndStream();
  }
  metrics_->in_flight().Decrement();
  absl::MutexLock lock(&mu_);
  in_flight_.erase(token);
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
  if (shut_down_.exchange(true) || server_ == nullptr) return;
  server_->StopAccepting();
  if (!server_->WaitForConnectionsUntil(deadline)) {
    grace_over_ = true;
    CancelInFlight();
    // A cancelled cascade answers at once (499, or an error event on a stream).
    server_->WaitForConnectionsUntil(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  server_->Stop();
  calls_.reset();  // Waits for every call thread to end.
}

HttpFrontDoor::~HttpFrontDoor() { Shutdown(std::chrono::system_clock::now()); }

}  // namespace cascade
