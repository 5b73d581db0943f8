#include "services/inference/engine/transformer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

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

Transformer::Transformer(std::shared_ptr<const Model> model, ThreadPool& pool, int max_context)
    : model_(std::move(model)),
      config_(model_->config()),
      pool_(pool),
      kernels_(&BestKernels()),
      max_context_(max_context) {
  auto batch = [](int width) { return std::vector<float>(static_cast<size_t>(kMaxBatch) * width); };
  positions_.resize(kMaxBatch);
  residual_ = batch(config_.dim);
  normed_ = batch(config_.dim);
  block_out_ = batch(config_.dim);
  query_ = batch(config_.q_dim());
  key_ = batch(config_.kv_dim());
  value_ = batch(config_.kv_dim());
  attention_ = batch(config_.q_dim());
  gate_ = batch(config_.ffn_dim);
  up_ = batch(config_.ffn_dim);
  scores_.resize(static_cast<size_t>(pool_.size()) * max_context_);
}

KvCache Transformer::NewCache(int context_length) const {
  return KvCache(config_.layers, context_length, config_.kv_dim());
}

void Transformer::Forward(std::span<const BatchToken> batch, float* logits) {
  const ModelConfig& c = config_;
  const int n = static_cast<int>(batch.size());
  float* x = residual_.data();

  // Token t of a cache takes the position after the cache's earlier tokens in this batch.
  for (int t = 0; t < n; ++t) {
    int earlier = 0;
    for (int u = 0; u < t; ++u) earlier += batch[u].cache == batch[t].cache;
    positions_[t] = batch[t].cache->size() + earlier;
    model_->EmbedToken(batch[t].token, x + t * c.dim);
  }

  const size_t kv_bytes = sizeof(float) * c.kv_dim();
  for (int l = 0; l < c.layers; ++l) {
    const LayerWeights& layer = model_->layers()[l];
    // Attention block: x += Wo * attention(RoPE(Wq * norm(x)), cache of RoPE(Wk * norm(x)), ...)
    // with, per architecture, biases after the projections (qwen2) or each head of the query
    // and key normalised before RoPE (qwen3).
    for (int t = 0; t < n; ++t) {
      RmsNorm(x + t * c.dim, layer.attention_norm, c.norm_eps, normed_.data() + t * c.dim);
    }
    Matmuls({{&layer.query, query_.data(), c.q_dim()},
             {&layer.key, key_.data(), c.kv_dim()},
             {&layer.value, value_.data(), c.kv_dim()}},
            normed_.data(), n);
    for (int t = 0; t < n; ++t) {
      float* query = query_.data() + t * c.q_dim();
      float* key = key_.data() + t * c.kv_dim();
      float* value = value_.data() + t * c.kv_dim();
      if (c.has_qkv_bias()) {
        AddBias(layer.query_bias, query);
        AddBias(layer.key_bias, key);
        AddBias(layer.value_bias, value);
      }
      if (c.has_qk_norm()) {
        NormalizeHeads(layer.query_norm, c.norm_eps, c.heads, query);
        NormalizeHeads(layer.key_norm, c.norm_eps, c.kv_heads, key);
      }
      const float* rotation = model_->rope_table(positions_[t]);
      ApplyRope(c, rotation, c.heads, query);
      ApplyRope(c, rotation, c.kv_heads, key);
      // Into the cache before attention, so that later tokens of the same cache see it.
      std::memcpy(batch[t].cache->key(l, positions_[t]), key, kv_bytes);
      std::memcpy(batch[t].cache->value(l, positions_[t]), value, kv_bytes);
    }
    Attention(batch, l);
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
  for (int t = 0; t < n; ++t) {
    if (positions_[t] == batch[t].cache->size()) {
      // The cache's first token of this batch: grow by all of them at once.
      int count = 0;
      for (int u = t; u < n; ++u) count += batch[u].cache == batch[t].cache;
      batch[t].cache->Grow(count);
    }
  }

  // Logits only where asked: prefill needs just the last token's.
  int rows = 0;
  for (int t = 0; t < n; ++t) {
    if (!batch[t].wants_logits) continue;
    RmsNorm(x + t * c.dim, model_->output_norm(), c.norm_eps, normed_.data() + rows * c.dim);
    ++rows;
  }
  if (rows == 0) return;
  Matmuls({{&model_->classifier(), logits, c.vocab_size}}, normed_.data(), rows);
}

void Transformer::Matmuls(std::initializer_list<MatmulTask> tasks, const float* x, int n) {
  // Where a product's kernel rounds its input (the K-quants, packed VNNI weights), round it
  // once here for every chunk of every product that reads that form.
  std::array<bool, kMostMatmulTasks> rounded{};
  int64_t total_rows = 0;
  quantized_.has_q8_0 = quantized_.has_q8_k = false;
  size_t i = 0;
  for (const MatmulTask& task : tasks) {
    total_rows += task.weights->rows;
    rounded.at(i++) =
        kernels_->quantize != nullptr && kernels_->quantize(*task.weights, x, n, quantized_);
  }
  pool_.ParallelFor(total_rows, kRowGrain, [&](int64_t begin, int64_t end, int) {
    // [begin, end) indexes the tasks' rows laid end to end; run the part of each task in it.
    int64_t offset = 0;
    size_t t = 0;
    for (const MatmulTask& task : tasks) {
      const int64_t rows = task.weights->rows;
      const int64_t lo = std::max(begin, offset) - offset;
      const int64_t hi = std::min(end, offset + rows) - offset;
      if (lo < hi && rounded[t]) {
        kernels_->matmul_quantized(*task.weights, lo, hi, quantized_, n, task.out, task.out_stride);
      } else if (lo < hi) {
        kernels_->matmul(*task.weights, lo, hi, x, n, task.out, task.out_stride);
      }
      offset += rows;
      ++t;
    }
  });
}

void Transformer::Attention(std::span<const BatchToken> batch, int layer) {
  const ModelConfig& c = config_;
  const int group = c.heads / c.kv_heads;  // query heads per key/value head
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  const int n = static_cast<int>(batch.size());
  pool_.ParallelFor(
      static_cast<int64_t>(n) * c.heads, 1, [&](int64_t begin, int64_t end, int thread) {
        float* scores = scores_.data() + static_cast<size_t>(thread) * max_context_;
        for (int64_t item = begin; item < end; ++item) {
          const int t = static_cast<int>(item / c.heads);
          const int h = static_cast<int>(item % c.heads);
          const int kv_offset = (h / group) * c.head_dim;
          const float* q = query_.data() + t * c.q_dim() + h * c.head_dim;
          KvCache& cache = *batch[t].cache;
          // Causal: the token at position p sees positions first .. p of its own cache (first
          // is 0 without a sliding window).
          const int first = c.FirstAttendedPosition(positions_[t]);
          const int visible = positions_[t] + 1 - first;
          const int stride = cache.kv_dim();
          kernels_->scores(q, cache.key(layer, first) + kv_offset, stride, visible, c.head_dim,
                           scale, scores);
          Softmax(scores, visible);
          kernels_->weighted_sum(scores, cache.value(layer, first) + kv_offset, stride, visible,
                                 c.head_dim, attention_.data() + t * c.q_dim() + h * c.head_dim);
        }
      });
}

}  // namespace cascade::engine
