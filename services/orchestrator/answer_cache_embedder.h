#pragma once

// The answer cache's embedder as the config names it (AnswerCacheConfig.openai_embedder,
// docs/cache.md): an OpenAI-compatible endpoint, or, unset, the hashed embedder
// (services/cache/lib/cache_embedder.h). The orchestrator and `cascadectl cache fit` build
// it here alike, so that a fitted threshold is one for the embedder the cache uses.

#include <memory>

#include "absl/status/statusor.h"
#include "cascade/v1/config.pb.h"
#include "services/router/lib/embedder.h"

namespace cascade::orchestrator {

// A lookup waits for the endpoint, so unset fields fail fast: timeout 1s, no retry (the
// router's defaults are 5s and 2 retries). InvalidArgument or FailedPrecondition naming
// `answer_cache.openai_embedder.<field>` for a bad block.
absl::StatusOr<std::shared_ptr<const router::Embedder>> MakeAnswerCacheEmbedder(
    const v1::AnswerCacheConfig& config);

}  // namespace cascade::orchestrator
