// RoPE, the rotary position embedding: the table of rotations each position applies to the pairs
// of a head's values (computed once per model, shared by the CPU pass and uploaded to the GPU),
// the rotation itself on the CPU, and Llama 3.1's per-pair frequency divisors.
#pragma once

#include <span>
#include <vector>

#include "services/inference/engine/model_config.h"

namespace cascade::engine {

// [context_length][rope_dims / 2] pairs of (cos, sin). Pair i at position p turns by
//   p * rope_position_scale * rope_theta^(-2i / rope_dims) / divisors[i]
// where `divisors` is a file's rope_freqs.weight (rope_dims / 2 values; empty: all 1), as
// llama.cpp rotates it.
std::vector<float> RopeTable(const ModelConfig& config, std::span<const float> divisors = {});

// Rotates the first rope_dims values of each of `heads` heads (head_dim apart, from `vector`) by
// `rotation`, one position's row of the table; config.rope_style() says which values pair up.
void ApplyRope(const ModelConfig& config, const float* rotation, int heads, float* vector);

// Llama 3.1's rope scaling ("rope_type": "llama3" in its config.json), which converters turn into
// rope_freqs.weight: long wavelengths are slowed by `factor`, short ones kept, and those between
// blended smoothly.
struct Llama3RopeScaling {
  double factor = 8;
  double low_frequency_factor = 1;
  double high_frequency_factor = 4;
  double original_context = 8192;
};
// The divisor of each of config.rope_dims / 2 pairs, from config.rope_theta.
std::vector<float> Llama3FrequencyDivisors(const ModelConfig& config,
                                           const Llama3RopeScaling& scaling = {});

}  // namespace cascade::engine
