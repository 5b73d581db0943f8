#pragma once

// The answer cache tests' embeddings: four dimensions, L2-normalised, so that similarities are
// easy to read (kWeather . Unit({1, 1, 0, 0}) = 0.707).

#include <cmath>
#include <cstddef>
#include <vector>

namespace cascade::cache::testing {

inline constexpr size_t kDimension = 4;

inline std::vector<float> Unit(std::vector<float> values) {
  float norm = 0.0f;
  for (float v : values) norm += v * v;
  for (float& v : values) v /= std::sqrt(norm);
  return values;
}

inline const std::vector<float> kWeather = Unit({1, 0, 0, 0});

}  // namespace cascade::cache::testing
