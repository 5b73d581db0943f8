#include "services/inference/engine/session.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace cascade::engine {
namespace {

int Capacity(const ModelConfig& config, int context_length) {
  return context_length > 0 ? std::min(context_length, config.context_length)
                            : config.context_length;
}

}  // namespace

Session::Session(std::shared_ptr<const Model> model, ThreadPool& pool, int context_length)
    : vocab_size_(model->config().vocab_size),
      capacity_(Capacity(model->config(), context_length)),
      transformer_(std::move(model), pool, capacity_),
      cache_(transformer_.NewCache(capacity_)),
      logits_(static_cast<size_t>(kMaxBatch) * vocab_size_) {
  batch_.reserve(kMaxBatch);
}

absl::Status Session::Forward(std::span<const int> tokens, int logit_rows) {
  const int n = static_cast<int>(tokens.size());
  if (n == 0) return absl::InvalidArgumentError("Forward needs at least one token");
  if (logit_rows < 0 || logit_rows > std::min(n, kMaxBatch)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot compute ", logit_rows, " rows of logits for ", n, " tokens"));
  }
  if (position() + n > context_length()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the context is full: ", position(), " tokens plus ", n,
                     " more exceed the context length ", context_length()));
  }
  for (int token : tokens) {
    if (token < 0 || token >= vocab_size_) {
      return absl::InvalidArgumentError(
          absl::StrCat("token id ", token, " is outside the vocabulary of ", vocab_size_));
    }
  }
  const int first_with_logits = n - logit_rows;
  for (int begin = 0; begin < n; begin += kMaxBatch) {
    const int end = std::min(n, begin + kMaxBatch);
    batch_.clear();
    for (int t = begin; t < end; ++t) {
      batch_.push_back(
          {.token = tokens[t], .cache = &cache_, .wants_logits = t >= first_with_logits});
    }
    // Rows of logits already written by earlier chunks.
    const int row = std::max(0, begin - first_with_logits);
    transformer_.Forward(batch_, logits_.data() + static_cast<size_t>(row) * vocab_size_);
  }
  return absl::OkStatus();
}

}  // namespace cascade::engine
