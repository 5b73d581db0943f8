#pragma once

// A backend for any OpenAI-compatible chat completions API (OpenAI, vLLM, llama.cpp
// server, TGI, Groq, Together, ...): POST {base_url}/chat/completions, whole or streamed,
// retried with backoff on connect errors, 429 and 5xx until something was passed on.

#include <memory>
#include <string>

#include "common/http/clock.h"
#include "common/http/http_client.h"
#include "common/http/random_source.h"
#include "common/http/retry_policy.h"
#include "services/tier_worker/backend.h"

namespace cascade::tier_worker {

struct OpenAIBackendOptions {
  std::string base_url;  // e.g. https://api.openai.com/v1
  std::string model;
  // Sent as "Authorization: Bearer ..."; empty sends none (local servers).
  std::string api_key;
  bool supports_logprobs = true;
  bool supports_tools = true;
  bool supports_images = false;
  // api_style "reasoning" (openai_protocol.h's ChatRequestOptions::reasoning).
  bool reasoning = false;
  absl::Duration connect_timeout = absl::Seconds(10);
  http::RetryOptions retry;
  http::HttpClientOptions http{.user_agent = "cascade-tier-worker"};
  // Injected by tests; must outlive the backend.
  http::Clock* clock = http::RealClock();
  http::RandomSource* random = http::SystemRandom();
};

class OpenAIBackend final : public Backend {
 public:
  explicit OpenAIBackend(OpenAIBackendOptions options);

  const BackendInfo& info() const override { return info_; }
  absl::StatusOr<cascade::v1::CompleteResponse> Complete(
      const cascade::v1::CompleteRequest& request, const CallContext& context,
      DeltaSink* sink) override;

 private:
  struct Attempt;
  Attempt TryOnce(const std::string& body, const cascade::v1::CompleteRequest& request,
                  const CallContext& context, DeltaSink* sink);
  void FinishStream(const cascade::v1::CompleteRequest& request, const CallContext& context,
                    Attempt* attempt);
  // Every message leaving this class goes through here: the key never leaves.
  absl::Status Redacted(const absl::Status& status) const;

  OpenAIBackendOptions options_;
  BackendInfo info_;
  std::string url_;
  http::RetryPolicy retry_policy_;
  http::HttpClient http_;
};

}  // namespace cascade::tier_worker
