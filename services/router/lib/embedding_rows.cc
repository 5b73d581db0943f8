#include "services/router/lib/embedding_rows.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace cascade::router {

void NormalizeRows(Embeddings& embeddings) {
  for (size_t i = 0; i < embeddings.rows(); ++i) {
    float* row = embeddings.row(i);
    double squared = 0.0;
    for (size_t d = 0; d < embeddings.dimension; ++d) squared += double{row[d]} * row[d];
    if (squared <= 0.0 || std::abs(squared - 1.0) < 1e-6) continue;
    const auto scale = static_cast<float>(1.0 / std::sqrt(squared));
    for (size_t d = 0; d < embeddings.dimension; ++d) row[d] *= scale;
  }
}

absl::Status CheckEmbeddings(const Embeddings& embeddings, size_t rows, size_t dimension) {
  if (embeddings.dimension != dimension || embeddings.rows() != rows ||
      embeddings.dense.size() != rows * dimension ||
      (!embeddings.sparse.empty() && embeddings.sparse.size() != rows)) {
    return absl::InternalError(absl::StrCat("embedder returned ", embeddings.rows(), " rows of ",
                                            embeddings.dimension, " for ", rows, " texts of ",
                                            dimension));
  }
  return absl::OkStatus();
}

absl::StatusOr<Embeddings> EmbedNormalized(const Embedder& embedder,
                                           absl::Span<const std::string> texts) {
  absl::StatusOr<Embeddings> embeddings = embedder.Embed(texts);
  if (!embeddings.ok()) return embeddings.status();
  if (absl::Status status = CheckEmbeddings(*embeddings, texts.size(), embedder.dimension());
      !status.ok()) {
    return status;
  }
  NormalizeRows(*embeddings);
  return embeddings;
}

}  // namespace cascade::router
