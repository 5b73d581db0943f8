#include "services/inference/engine/rope.h"

#include <cmath>
#include <numbers>

namespace cascade::engine {
namespace {

// Radians per position of pair i before scaling: theta^(-2i / rope_dims).
double BaseFrequency(const ModelConfig& config, int pair) {
  return std::pow(static_cast<double>(config.rope_theta), -2.0 * pair / config.rope_dims);
}

}  // namespace

std::vector<float> RopeTable(const ModelConfig& config, std::span<const float> divisors) {
  const int pairs = config.rope_dims / 2;
  std::vector<double> frequencies(pairs);
  for (int i = 0; i < pairs; ++i) {
    const double divisor = divisors.empty() ? 1.0 : static_cast<double>(divisors[i]);
    frequencies[i] = BaseFrequency(config, i) * config.rope_position_scale / divisor;
  }
  std::vector<float> table(static_cast<size_t>(config.context_length) * pairs * 2);
  for (int position = 0; position < config.context_length; ++position) {
    float* row = table.data() + static_cast<size_t>(position) * pairs * 2;
    for (int i = 0; i < pairs; ++i) {
      const double angle = position * frequencies[i];
      row[2 * i] = static_cast<float>(std::cos(angle));
      row[2 * i + 1] = static_cast<float>(std::sin(angle));
    }
  }
  return table;
}

void ApplyRope(const ModelConfig& config, const float* rotation, int heads, float* vector) {
  const int pairs = config.rope_dims / 2;
  // Distance from a pair's first value to its second: the next value, or half the rotated span.
  const int partner = config.rope_style() == RopeStyle::kAdjacentPairs ? 1 : pairs;
  for (int h = 0; h < heads; ++h) {
    float* v = vector + h * config.head_dim;
    for (int i = 0; i < pairs; ++i) {
      const int first = partner == 1 ? 2 * i : i;
      const float cos = rotation[2 * i];
      const float sin = rotation[2 * i + 1];
      const float a = v[first];
      const float b = v[first + partner];
      v[first] = a * cos - b * sin;
      v[first + partner] = a * sin + b * cos;
    }
  }
}

std::vector<float> Llama3FrequencyDivisors(const ModelConfig& config,
                                           const Llama3RopeScaling& scaling) {
  // Wavelengths (positions per turn) below this are kept, above `slow` divided by the factor.
  const double fast = scaling.original_context / scaling.high_frequency_factor;
  const double slow = scaling.original_context / scaling.low_frequency_factor;
  std::vector<float> divisors(config.rope_dims / 2);
  for (int i = 0; i < static_cast<int>(divisors.size()); ++i) {
    const double wavelength = 2 * std::numbers::pi / BaseFrequency(config, i);
    double divisor;
    if (wavelength < fast) {
      divisor = 1;
    } else if (wavelength > slow) {
      divisor = scaling.factor;
    } else {
      const double smooth = (scaling.original_context / wavelength - scaling.low_frequency_factor) /
                            (scaling.high_frequency_factor - scaling.low_frequency_factor);
      divisor = 1 / ((1 - smooth) / scaling.factor + smooth);
    }
    divisors[i] = static_cast<float>(divisor);
  }
  return divisors;
}

}  // namespace cascade::engine
