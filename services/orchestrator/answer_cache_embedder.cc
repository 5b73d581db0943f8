#include "services/orchestrator/answer_cache_embedder.h"

#include <utility>

#include "absl/time/time.h"
#include "services/cache/lib/cache_embedder.h"
#include "services/router/lib/openai_embedder.h"
#include "services/router/openai_embedder_config.h"

namespace cascade::orchestrator {

absl::StatusOr<std::shared_ptr<const router::Embedder>> MakeAnswerCacheEmbedder(
    const v1::AnswerCacheConfig& config) {
  if (!config.has_openai_embedder()) {
    auto hashed = cache::MakeCacheEmbedder();
    if (!hashed.ok()) return hashed.status();
    return std::shared_ptr<const router::Embedder>(*std::move(hashed));
  }
  router::OpenAIEmbedderOptions options;
  options.timeout = absl::Seconds(1);
  options.retry.max_retries = 0;
  options.http.user_agent = "cascade-orchestrator";
  if (absl::Status applied = router::ApplyOpenAIEmbedderConfig(
          config.openai_embedder(), "answer_cache.openai_embedder", options);
      !applied.ok()) {
    return applied;
  }
  auto embedder = router::OpenAIEmbedder::Create(std::move(options));
  if (!embedder.ok()) return embedder.status();
  return std::shared_ptr<const router::Embedder>(*std::move(embedder));
}

}  // namespace cascade::orchestrator
