#pragma once

// The answer cache's embedder, shared by the orchestrator (services/orchestrator/lib/
// cached_answers.h) and the tools that fit its thresholds on labelled pairs (`cascadectl
// cache fit`), so that a fitted threshold means what the cache measures: the router's hashed
// embedder (word and character n-grams, 512 dimensions, dense only), fitted on no corpus, so
// every n-gram weighs the same (the cache has no exemplars to learn rarity from). It
// measures shared words, not meaning (docs/cache.md).

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/router/lib/hashed_embedder.h"

namespace cascade::cache {

absl::StatusOr<std::unique_ptr<router::HashedEmbedder>> MakeCacheEmbedder();

// `text`'s embedding, L2-normalised; empty when it has none (a text without features embeds
// to zeros: nothing to be similar to, so the cache looks it up exactly only). The embedder's
// error when it failed (a remote endpoint down), or Internal for an answer that is not one
// vector.
absl::StatusOr<std::vector<float>> EmbedQuery(const router::Embedder& embedder,
                                              absl::string_view text);

// Whether `vector` is L2-normalised (as the store requires), within float rounding.
bool IsUnitVector(const float* vector, size_t dimension);

}  // namespace cascade::cache
