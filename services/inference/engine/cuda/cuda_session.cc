#include "services/inference/engine/cuda/cuda_session.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "services/inference/engine/cuda/cuda_check.h"
#include "services/inference/engine/cuda/index_math.h"

namespace cascade::engine::cuda {
namespace {

// One launch when the matrices share a type (the usual file); one each when a file mixes types.
cudaError_t Matmuls(const MatmulTask* tasks, int count, const float* x, int n,
                    cudaStream_t stream) {
  bool same = true;
  for (int i = 1; i < count; ++i) same = same && tasks[i].w.type == tasks[0].w.type;
  if (same) return LaunchMatmuls(tasks, count, x, n, stream);
  for (int i = 0; i < count; ++i) {
    if (cudaError_t error = LaunchMatmuls(&tasks[i], 1, x, n, stream); error != cudaSuccess) {
      return error;
    }
  }
  return cudaSuccess;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CudaSession>> CudaSession::Create(
    std::shared_ptr<const DeviceWeights> weights, int context_length) {
  const int model_context = weights->config().context_length;
  const int capacity = context_length > 0 ? std::min(context_length, model_context) : model_context;
  std::unique_ptr<CudaSession> session(new CudaSession(std::move(weights), capacity));
  if (auto status = session->Allocate(); !status.ok()) return status;
  return session;
}

CudaSession::CudaSession(std::shared_ptr<const DeviceWeights> weights, int capacity)
    : weights_(std::move(weights)),
      config_(weights_->config()),
      capacity_(capacity),
      vocab_(config_.vocab_size) {}

CudaSession::~CudaSession() {
  if (stream_ != nullptr) {
    cudaStreamSynchronize(stream_);  // buffers are freed next; no kernel may still use them
    cudaStreamDestroy(stream_);
  }
}

absl::Status CudaSession::Allocate() {
  CASCADE_CUDA_RETURN_IF_ERROR(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking),
                               "creating a stream");
  const ModelConfig& c = config_;
  auto batch = [](int width) { return static_cast<size_t>(kMaxBatch) * width * sizeof(float); };
  const size_t cache = static_cast<size_t>(c.layers) * capacity_ * c.kv_dim() * sizeof(float);
  for (const auto& [buffer, bytes, what] :
       {std::tuple{&tokens_, kMaxBatch * sizeof(int), "token ids"},
        {&residual_, batch(c.dim), "activations"},
        {&normed_, batch(c.dim), "activations"},
        {&query_, batch(c.q_dim()), "activations"},
        {&attention_, batch(c.q_dim()), "activations"},
        {&gate_, batch(c.ffn_dim), "activations"},
        {&up_, batch(c.ffn_dim), "activations"},
        {&logits_, batch(vocab_), "logits"},
        {&keys_, cache, "the KV cache"},
        {&values_, cache, "the KV cache"},
        {&summaries_device_, kMaxBatch * sizeof(RowSummary), "row summaries"}}) {
    auto allocated = DeviceBuffer::Allocate(bytes, what);
    if (!allocated.ok()) return allocated.status();
    *buffer = std::move(*allocated);
  }
  summaries_.resize(kMaxBatch);
  host_logits_.resize(static_cast<size_t>(kMaxBatch) * vocab_);
  fetched_.assign(kMaxBatch, false);
  return absl::OkStatus();
}

absl::Status CudaSession::Forward(std::span<const int> tokens, int logit_rows) {
  const int n = static_cast<int>(tokens.size());
  if (!copy_status_.ok()) return std::exchange(copy_status_, absl::OkStatus());
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
    if (token < 0 || token >= vocab_) {
      return absl::InvalidArgumentError(
          absl::StrCat("token id ", token, " is outside the vocabulary of ", vocab_));
    }
  }
  std::fill(fetched_.begin(), fetched_.end(), false);
  logit_rows_ = 0;
  for (int begin = 0; begin < n; begin += kMaxBatch) {
    const int end = std::min(n, begin + kMaxBatch);
    const ChunkLogits chunk = ChunkLogitsOf(n, logit_rows, begin, end);
    if (auto s = ForwardChunk(tokens.subspan(begin, end - begin), chunk.from, chunk.first_row);
        !s.ok()) {
      return s;
    }
  }
  if (logit_rows > 0) {
    CASCADE_CUDA_RETURN_IF_ERROR(LaunchRowSummaries(logits_.as<float>(), logit_rows, vocab_,
                                                    summaries_device_.as<RowSummary>(), stream_),
                                 "argmax/log-sum-exp");
    CASCADE_CUDA_RETURN_IF_ERROR(
        cudaMemcpyAsync(summaries_.data(), summaries_device_.data(),
                        logit_rows * sizeof(RowSummary), cudaMemcpyDeviceToHost, stream_),
        "copying row summaries");
  }
  CASCADE_CUDA_RETURN_IF_ERROR(cudaStreamSynchronize(stream_), "the forward pass");
  logit_rows_ = logit_rows;
  return absl::OkStatus();
}

absl::Status CudaSession::ForwardChunk(std::span<const int> tokens, int logit_from,
                                       int first_logit_row) {
  const ModelConfig& c = config_;
  const int n = static_cast<int>(tokens.size());
  const int start = size_;
  const int64_t kv = c.kv_dim();
  float* x = residual_.as<float>();
  float* normed = normed_.as<float>();
  float* query = query_.as<float>();
  float* attention = attention_.as<float>();
  float* gate = gate_.as<float>();
  float* up = up_.as<float>();
  float* keys = keys_.as<float>();
  float* values = values_.as<float>();

  // Pageable host memory: the copy is staged before cudaMemcpyAsync returns.
  CASCADE_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(tokens_.data(), tokens.data(), n * sizeof(int),
                                               cudaMemcpyHostToDevice, stream_),
                               "copying token ids");
  CASCADE_CUDA_RETURN_IF_ERROR(LaunchEmbed(weights_->embedding(), tokens_.as<int>(), n, x, stream_),
                               "embedding");
  for (int l = 0; l < c.layers; ++l) {
    const DeviceLayer& layer = weights_->layers()[l];
    float* layer_keys = keys + KvOffset(l, start, capacity_, c.kv_dim());
    float* layer_values = values + KvOffset(l, start, capacity_, c.kv_dim());
    // Attention block. Keys and values go straight into the cache rows of their positions;
    // biases (qwen2) and QK-norm (qwen3) as in session.cc.
    CASCADE_CUDA_RETURN_IF_ERROR(
        LaunchRmsNorm(x, layer.attention_norm, n, c.dim, c.norm_eps, normed, stream_), "RMSNorm");
    const MatmulTask qkv[] = {{layer.query, query, c.q_dim()},
                              {layer.key, layer_keys, kv},
                              {layer.value, layer_values, kv}};
    CASCADE_CUDA_RETURN_IF_ERROR(Matmuls(qkv, 3, normed, n, stream_), "Wq, Wk, Wv");
    if (c.has_qkv_bias()) {  // qwen2
      CASCADE_CUDA_RETURN_IF_ERROR(
          LaunchAddBias(query, n, c.q_dim(), layer.query_bias, c.q_dim(), stream_), "Q bias");
      CASCADE_CUDA_RETURN_IF_ERROR(
          LaunchAddBias(layer_keys, n, kv, layer.key_bias, c.kv_dim(), stream_), "K bias");
      CASCADE_CUDA_RETURN_IF_ERROR(
          LaunchAddBias(layer_values, n, kv, layer.value_bias, c.kv_dim(), stream_), "V bias");
    }
    if (c.has_qk_norm()) {  // qwen3: each query and key head normalised before RoPE
      CASCADE_CUDA_RETURN_IF_ERROR(
          LaunchHeadRmsNorm(query, static_cast<int64_t>(n) * c.heads, c.head_dim, layer.query_norm,
                            c.norm_eps, stream_),
          "QK-norm (queries)");
      CASCADE_CUDA_RETURN_IF_ERROR(
          LaunchHeadRmsNorm(layer_keys, static_cast<int64_t>(n) * c.kv_heads, c.head_dim,
                            layer.key_norm, c.norm_eps, stream_),
          "QK-norm (keys)");
    }
    const bool halves = c.rope_style() == RopeStyle::kHalves;
    CASCADE_CUDA_RETURN_IF_ERROR(LaunchRope(query, c.q_dim(), n, c.heads, c.head_dim, c.rope_dims,
                                            halves, weights_->rope_table(), start, stream_),
                                 "RoPE (queries)");
    CASCADE_CUDA_RETURN_IF_ERROR(LaunchRope(layer_keys, kv, n, c.kv_heads, c.head_dim, c.rope_dims,
                                            halves, weights_->rope_table(), start, stream_),
                                 "RoPE (keys)");
    const AttentionShape shape{.heads = c.heads,
                               .kv_heads = c.kv_heads,
                               .head_dim = c.head_dim,
                               .capacity = capacity_,
                               .layer = l,
                               .start = start,
                               .n = n,
                               .window = c.sliding_window};
    CASCADE_CUDA_RETURN_IF_ERROR(LaunchAttention(shape, query, keys, values, attention, stream_),
                                 "attention");
    CASCADE_CUDA_RETURN_IF_ERROR(
        LaunchMatmul(layer.attention_output, attention, n, x, c.dim, true, stream_), "Wo");
    // Feed-forward block (SwiGLU): x += W_down * (silu(W_gate * h) * (W_up * h)), h = norm(x)
    CASCADE_CUDA_RETURN_IF_ERROR(
        LaunchRmsNorm(x, layer.ffn_norm, n, c.dim, c.norm_eps, normed, stream_), "RMSNorm");
    const MatmulTask gate_up[] = {{layer.gate, gate, c.ffn_dim}, {layer.up, up, c.ffn_dim}};
    CASCADE_CUDA_RETURN_IF_ERROR(Matmuls(gate_up, 2, normed, n, stream_), "W_gate, W_up");
    CASCADE_CUDA_RETURN_IF_ERROR(
        LaunchSwiglu(gate, up, static_cast<int64_t>(n) * c.ffn_dim, stream_), "SwiGLU");
    CASCADE_CUDA_RETURN_IF_ERROR(LaunchMatmul(layer.down, gate, n, x, c.dim, true, stream_),
                                 "W_down");
  }
  size_ += n;

  // Logits only where asked: prefill needs just the last token's.
  const int rows = n - logit_from;
  if (rows <= 0) return absl::OkStatus();
  CASCADE_CUDA_RETURN_IF_ERROR(
      LaunchRmsNorm(x + static_cast<int64_t>(logit_from) * c.dim, weights_->output_norm(), rows,
                    c.dim, c.norm_eps, normed, stream_),
      "RMSNorm (output)");
  CASCADE_CUDA_RETURN_IF_ERROR(
      LaunchMatmul(weights_->classifier(), normed, rows,
                   logits_.as<float>() + static_cast<int64_t>(first_logit_row) * vocab_, vocab_,
                   false, stream_),
      "classifier");
  return absl::OkStatus();
}

std::span<const float> CudaSession::logits(int row) const {
  float* host = host_logits_.data() + static_cast<size_t>(row) * vocab_;
  if (!fetched_[row]) {
    fetched_[row] = true;
    const absl::Status status =
        CudaStatus(cudaMemcpy(host, logits_.as<float>() + static_cast<size_t>(row) * vocab_,
                              static_cast<size_t>(vocab_) * sizeof(float), cudaMemcpyDeviceToHost),
                   "copying logits");
    if (!status.ok()) {
      std::fill(host, host + vocab_, std::numeric_limits<float>::quiet_NaN());
      copy_status_ = status;
    }
  }
  return {host, static_cast<size_t>(vocab_)};
}

}  // namespace cascade::engine::cuda
