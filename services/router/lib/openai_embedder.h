#pragma once

// An embedder over any OpenAI-compatible `/embeddings` endpoint (OpenAI's
// text-embedding-3-*, vLLM, TEI, llama.cpp server, ...). Exemplars go in batches of
// `batch_size` texts per request when an index is built; a query is one request, unless
// its vector is still in the LRU cache (routers see the same queries again and again, and a
// cached query costs no network round trip). Connect errors, 429 and 5xx are retried like
// the tier worker's upstream calls (common/http). The dimension is the configured one, or
// is learned from the first answer; an answer of another length afterwards is an error,
// since the index holds vectors of one length. Vectors are L2-normalised here.

#include <atomic>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/http/clock.h"
#include "common/http/http_client.h"
#include "common/http/random_source.h"
#include "common/http/retry_policy.h"
#include "services/router/lib/embedder.h"

namespace cascade::router {

struct OpenAIEmbedderOptions {
  // e.g. "https://api.openai.com/v1"; "/embeddings" is appended.
  std::string base_url;
  std::string model;
  // Sent as "Authorization: Bearer ..."; empty sends none (local servers).
  std::string api_key;
  // 0: learned from the first answer. Else sent as `dimensions` and required of answers.
  size_t dimensions = 0;
  size_t batch_size = 64;
  // Query vectors kept; 0 turns the cache off.
  size_t cache_size = 10000;
  // Per request (one batch), retries included.
  absl::Duration timeout = absl::Seconds(5);
  absl::Duration connect_timeout = absl::Seconds(2);
  http::RetryOptions retry;
  http::HttpClientOptions http{.user_agent = "cascade-router"};
  // Called before each retry (metrics); may be empty.
  std::function<void(http::RetryReason reason)> on_retry;
  // Injected by tests; must outlive the embedder.
  http::Clock* clock = http::RealClock();
  http::RandomSource* random = http::SystemRandom();
};

class OpenAIEmbedder : public Embedder {
 public:
  // InvalidArgument for a missing base_url or model, or a zero batch size.
  static absl::StatusOr<std::shared_ptr<OpenAIEmbedder>> Create(OpenAIEmbedderOptions options);

  // A factory for RouteIndexOptions: every route set shares `embedder` (and its cache).
  static EmbedderFactory Factory(std::shared_ptr<const OpenAIEmbedder> embedder);

  // The configured dimension, else the one learned from the first answer (0 before it).
  size_t dimension() const override { return dimension_.load(); }
  std::string name() const override { return "openai"; }
  // Unavailable when the endpoint cannot be reached or keeps failing (after retries),
  // DeadlineExceeded past `timeout`, InvalidArgument/Unauthenticated/... for answers that
  // retrying will not change (HTTP 4xx), Internal for a malformed answer or a dimension
  // mismatch. Messages name the endpoint.
  absl::StatusOr<Embeddings> Embed(absl::Span<const std::string> texts) const override;

  // Requests sent so far (all attempts), for tests and logs.
  size_t requests() const { return requests_.load(); }

 private:
  explicit OpenAIEmbedder(OpenAIEmbedderOptions options);

  // One request for `texts` (at most batch_size), retried; appends its rows to `out`.
  absl::Status EmbedBatch(absl::Span<const std::string* const> texts,
                          std::vector<float>* out) const;
  absl::Status TryOnce(const std::string& body, size_t count, absl::Time deadline,
                       std::vector<float>* out, std::optional<http::RetryableFailure>* retry) const;
  absl::Status ParseAnswer(const std::string& body, size_t count, std::vector<float>* out) const;

  bool CacheLookup(const std::string& text, float* row) const;
  void CacheInsert(const std::string& text, const float* row) const;

  OpenAIEmbedderOptions options_;
  std::string url_;
  http::RetryPolicy retry_policy_;
  mutable http::HttpClient http_;
  mutable std::atomic<size_t> dimension_;
  mutable std::atomic<size_t> requests_{0};

  // LRU: most recently used at the front; the map points into the list.
  struct CacheEntry {
    std::string text;
    std::vector<float> vector;
  };
  mutable std::mutex cache_mu_;
  mutable std::list<CacheEntry> cache_order_;
  mutable absl::flat_hash_map<std::string, std::list<CacheEntry>::iterator> cache_;
};

}  // namespace cascade::router
