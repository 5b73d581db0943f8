#pragma once

// Texts to unit vectors for an inner-product FAISS index: the embedder's rows, checked for
// shape (a remote embedder can answer anything) and L2-normalised (a remote one need not).

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "services/router/lib/embedder.h"

namespace cascade::router {

// Scales every non-zero row to length 1.
void NormalizeRows(Embeddings& embeddings);

// Internal when `embeddings` is not `rows` rows of `dimension` floats (and one sparse
// vector per row, when it has any).
absl::Status CheckEmbeddings(const Embeddings& embeddings, size_t rows, size_t dimension);

// Embeds `texts`, checks the shape and normalises. The embedder's own errors pass through.
absl::StatusOr<Embeddings> EmbedNormalized(const Embedder& embedder,
                                           absl::Span<const std::string> texts);

}  // namespace cascade::router
