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
  router::OpenAIEmbedderOptions defaults;
  defaults.timeout = absl::Seconds(1);
  defaults.retry.max_retries = 0;
  defaults.http.user_agent = "cascade-orchestrator";
  auto options = router::OpenAIEmbedderOptionsFromConfig(
      config.openai_embedder(), "answer_cache.openai_embedder", std::move(defaults));
  if (!options.ok()) return options.status();
  auto embedder = router::OpenAIEmbedder::Create(*std::move(options));
  if (!embedder.ok()) return embedder.status();
  return std::shared_ptr<const router::Embedder>(*std::move(embedder));
}

}  // namespace cascade::orchestrator
