#include "services/cache/lib/cache_embedder.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"

namespace cascade::cache {

absl::StatusOr<std::unique_ptr<router::HashedEmbedder>> MakeCacheEmbedder() {
  router::HashedEmbedderOptions options;
  options.sparse_dimension = 0;
  return router::HashedEmbedder::Fit(options, {});
}

bool IsUnitVector(const float* vector, size_t dimension) {
  double norm = 0;
  for (size_t i = 0; i < dimension; ++i) norm += static_cast<double>(vector[i]) * vector[i];
  return std::abs(norm - 1) <= 1e-3;
}

absl::StatusOr<std::vector<float>> EmbedQuery(const router::Embedder& embedder,
                                              absl::string_view text) {
  auto embedded = embedder.Embed({std::string(text)});
  if (!embedded.ok()) return embedded.status();
  if (embedded->rows() != 1) {
    return absl::InternalError(
        absl::StrCat("the embedder returned ", embedded->rows(), " vectors for one text"));
  }
  if (!IsUnitVector(embedded->row(0), embedded->dimension)) return std::vector<float>();
  return std::vector<float>(embedded->row(0), embedded->row(0) + embedded->dimension);
}

}  // namespace cascade::cache
