#include "services/inference/engine/session.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "services/inference/engine/rope.h"

namespace cascade::engine {
namespace {

void RmsNorm(const float* x, const std::vector<float>& weight, float eps, float* out) {
  const int n = static_cast<int>(weight.size());
  double sum_squares = 0;
  for (int i = 0; i < n; ++i) sum_squares += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(sum_squares / n + eps));
  for (int i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void AddBias(const std::vector<float>& bias, float* x) {
  for (size_t i = 0; i < bias.size(); ++i) x[i] += bias[i];
}

// RMSNorm of each of `heads` vectors of weight.size() values, in place (qwen3's QK-norm).
void NormalizeHeads(const std::vector<float>& weight, float eps, int heads, float* x) {
  const int head_dim = static_cast<int>(weight.size());
  for (int h = 0; h < heads; ++h) RmsNorm(x + h * head_dim, weight, eps, x + h * head_dim);
}

void Softmax(float* x, int n) {
  const float max = *std::max_element(x, x + n);
  float sum = 0;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inverse = 1.0f / sum;
  for (int i = 0; i < n; ++i) x[i] *= inverse;
}

// Rows per unit of work when a matrix product is split across threads: a multiple of the
// kernels' 4-row groups, and enough work to be worth a thread.
constexpr int64_t kRowGrain = 16;

}  // namespace

Session::Session(std::shared_ptr<const Model> model, ThreadPool& pool, int context_length)
    : model_(std::move(model)),
      config_(model_->config()),
      pool_(pool),
      kernels_(&BestKernels()),
      vocab_size_(config_.vocab_size),
      cache_(config_.layers,
             context_length > 0 ? std::min(context_length, config_.context_length)
                                : config_.context_length,
             config_.kv_dim()) {
  auto batch = [](int width) { return std::vector<float>(static_cast<size_t>(kMaxBatch) * width); };
  residual_ = batch(config_.dim);
  normed_ = batch(config_.dim);
  block_out_ = batch(config_.dim);
  query_ = batch(config_.q_dim());
  attention_ = batch(config_.q_dim());
  gate_ = batch(config_.ffn_dim);
  up_ = batch(config_.ffn_dim);
  logits_ = batch(vocab_size_);
  scores_.resize(static_cast<size_t>(pool_.size()) * cache_.capacity());
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
    const int logit_from = std::max(first_with_logits, begin);
    // Chunks before the first token that needs logits get logit_from == chunk size: none.
    ForwardChunk(tokens.subspan(begin, end - begin), std::min(logit_from, end) - begin,
                 std::max(0, logit_from - first_with_logits));
  }
  return absl::OkStatus();
}

void Session::ForwardChunk(std::span<const int> tokens, int logit_from, int first_logit_row) {
  const ModelConfig& c = config_;
  const int n = static_cast<int>(tokens.size());
  const int start = position();
  float* x = residual_.data();

  for (int t = 0; t < n; ++t) model_->EmbedToken(tokens[t], x + t * c.dim);

  for (int l = 0; l < c.layers; ++l) {
    const LayerWeights& layer = model_->layers()[l];
    // Attention block: x += Wo * attention(RoPE(Wq * norm(x)), cache of RoPE(Wk * norm(x)), ...)
    // with, per architecture, biases after the projections (qwen2) or each head of the query
    // and key normalised before RoPE (qwen3).
    for (int t = 0; t < n; ++t) {
      RmsNorm(x + t * c.dim, layer.attention_norm, c.norm_eps, normed_.data() + t * c.dim);
    }
    // Keys and values go straight into the cache rows of their positions.
    Matmuls({{&layer.query, query_.data(), c.q_dim()},
             {&layer.key, cache_.key(l, start), c.kv_dim()},
             {&layer.value, cache_.value(l, start), c.kv_dim()}},
            normed_.data(), n);
    for (int t = 0; t < n; ++t) {
      float* query = query_.data() + t * c.q_dim();
      float* key = cache_.key(l, start + t);
      if (c.has_qkv_bias()) {
        AddBias(layer.query_bias, query);
        AddBias(layer.key_bias, key);
        AddBias(layer.value_bias, cache_.value(l, start + t));
      }
      if (c.has_qk_norm()) {
        NormalizeHeads(layer.query_norm, c.norm_eps, c.heads, query);
        NormalizeHeads(layer.key_norm, c.norm_eps, c.kv_heads, key);
      }
      const float* rotation = model_->rope_table(start + t);
      ApplyRope(c, rotation, c.heads, query);
      ApplyRope(c, rotation, c.kv_heads, key);
    }
    Attention(l, start, n);
    Matmuls({{&layer.attention_output, block_out_.data(), c.dim}}, attention_.data(), n);
    for (int i = 0; i < n * c.dim; ++i) x[i] += block_out_[i];

    // Feed-forward block (SwiGLU): x += W_down * (silu(W_gate * h) * (W_up * h)), h = norm(x)
    for (int t = 0; t < n; ++t) {
      RmsNorm(x + t * c.dim, layer.ffn_norm, c.norm_eps, normed_.data() + t * c.dim);
    }
    Matmuls({{&layer.gate, gate_.data(), c.ffn_dim}, {&layer.up, up_.data(), c.ffn_dim}},
            normed_.data(), n);
    for (int i = 0; i < n * c.ffn_dim; ++i) {
      const float g = gate_[i];
      gate_[i] = g / (1.0f + std::exp(-g)) * up_[i];
    }
    Matmuls({{&layer.down, block_out_.data(), c.dim}}, gate_.data(), n);
    for (int i = 0; i < n * c.dim; ++i) x[i] += block_out_[i];
  }
  cache_.Grow(n);

  // Logits only where asked: prefill needs just the last token's.
  const int rows = n - logit_from;
  if (rows <= 0) return;
  for (int t = 0; t < rows; ++t) {
    RmsNorm(x + (logit_from + t) * c.dim, model_->output_norm(), c.norm_eps,
            normed_.data() + t * c.dim);
  }
  Matmuls({{&model_->classifier(),
            logits_.data() + static_cast<size_t>(first_logit_row) * vocab_size_, vocab_size_}},
          normed_.data(), rows);
}

void Session::Matmuls(std::initializer_list<MatmulTask> tasks, const float* x, int n) {
  int64_t total_rows = 0;
  for (const MatmulTask& task : tasks) total_rows += task.weights->rows;
  pool_.ParallelFor(total_rows, kRowGrain, [&](int64_t begin, int64_t end, int) {
    // [begin, end) indexes the tasks' rows laid end to end; run the part of each task in it.
    int64_t offset = 0;
    for (const MatmulTask& task : tasks) {
      const int64_t rows = task.weights->rows;
      const int64_t lo = std::max(begin, offset) - offset;
      const int64_t hi = std::min(end, offset + rows) - offset;
      if (lo < hi) kernels_->matmul(*task.weights, lo, hi, x, n, task.out, task.out_stride);
      offset += rows;
    }
  });
}

void Session::Attention(int layer, int start, int n) {
  const ModelConfig& c = config_;
  const int group = c.heads / c.kv_heads;  // query heads per key/value head
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  pool_.ParallelFor(
      static_cast<int64_t>(n) * c.heads, 1, [&](int64_t begin, int64_t end, int thread) {
        float* scores = scores_.data() + static_cast<size_t>(thread) * cache_.capacity();
        for (int64_t item = begin; item < end; ++item) {
          const int t = static_cast<int>(item / c.heads);
          const int h = static_cast<int>(item % c.heads);
          const int kv_offset = (h / group) * c.head_dim;
          const float* q = query_.data() + t * c.q_dim() + h * c.head_dim;
          // Causal: the token at start + t sees positions 0 .. start + t.
          const int visible = start + t + 1;
          const int stride = cache_.kv_dim();
          kernels_->scores(q, cache_.key(layer, 0) + kv_offset, stride, visible, c.head_dim, scale,
                           scores);
          Softmax(scores, visible);
          kernels_->weighted_sum(scores, cache_.value(layer, 0) + kv_offset, stride, visible,
                                 c.head_dim, attention_.data() + t * c.q_dim() + h * c.head_dim);
        }
      });
}

}  // namespace cascade::engine
