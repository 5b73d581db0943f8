// Llama-shaped models with random weights: for benchmarks at realistic sizes (the ~100M
// parameter shape of tools/make_random_model) and for tests that need a tiny model of a given
// shape or vocabulary.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "services/inference/engine/gguf_writer.h"
#include "services/inference/engine/model_config.h"
#include "services/inference/engine/tokenizer.h"

namespace cascade::engine {

struct RandomModelSpec {
  ModelConfig config;  // vocab_size is taken from the vocabulary when one is given
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
// N(0, 0.02^2) (norm weights 1), which keeps activations in a sane range at any depth.
absl::Status WriteRandomModel(const RandomModelSpec& spec, GgufWriter& out);

}  // namespace cascade::engine
