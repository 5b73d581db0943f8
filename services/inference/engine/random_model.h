// Models of the supported architectures (llama, qwen2, qwen3) with random weights: for
// benchmarks at realistic sizes (the ~100M parameter shape of tools/make_random_model) and for
// tests that need a tiny model of a given shape, architecture, RoPE or vocabulary.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "services/inference/engine/gguf_writer.h"
#include "services/inference/engine/model_config.h"
#include "services/inference/engine/tokenizer.h"

namespace cascade::engine {

struct RandomModelSpec {
  // config.architecture picks the tensors (qwen2: Q/K/V biases; qwen3: QK-norm weights);
  // vocab_size is taken from the vocabulary when one is given; head_dim 0 means dim / heads.
  ModelConfig config;
  // Writes rope_freqs.weight with Llama 3.1's divisors (rope.h, Llama3FrequencyDivisors), as
  // converters do for Llama 3.1 / 3.2. Architecture llama only: llama.cpp reads it only there.
  bool llama3_rope_scaling = false;
  uint64_t seed = 1;
  TensorType type = TensorType::kF32;
  bool tied_classifier = true;
  // The tokenizer to embed; when null, a synthetic SentencePiece vocabulary of
  // config.vocab_size tokens: <unk> <s> </s>, the 256 byte tokens, then made-up pieces.
  const TokenizerVocab* vocab = nullptr;
  std::string chat_template;  // tokenizer.chat_template, written when not empty
  std::string name = "random-llama";
};

// The tokenizer.ggml.* metadata of `vocab`, as llama.cpp's converter writes it.
absl::Status WriteTokenizer(const TokenizerVocab& vocab, GgufWriter& out);

// Fills `out` with a complete GGUF model: metadata, tokenizer and weights drawn from
// N(0, 0.02^2) (norm weights 1), which keeps activations in a sane range at any depth. The query
// and key projections are drawn from N(0, 1 / dim), so that attention scores are of unit size
// and attention depends on positions as a trained model's does (with 0.02 it is nearly uniform,
// and a RoPE mistake would hardly change the logits). Biases are drawn from N(0, 0.1^2) and
// QK-norm weights from 1 + N(0, 0.1^2), large enough that mishandling them shows too.
absl::Status WriteRandomModel(const RandomModelSpec& spec, GgufWriter& out);

}  // namespace cascade::engine
