#pragma once

// The answer cache tests' embeddings: four dimensions, L2-normalised, so that similarities are
// easy to read (kWeather . Unit({1, 1, 0, 0}) = 0.707); and random unit vectors for the index
// tests.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
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

// `count` L2-normalised rows of `dimension` Gaussian values, row-major, drawn with `seed`.
inline std::vector<float> RandomUnitVectors(size_t count, size_t dimension, uint32_t seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<float> normal;
  std::vector<float> rows(count * dimension);
  for (size_t i = 0; i < count; ++i) {
    float norm = 0.0f;
    for (size_t j = 0; j < dimension; ++j) {
      rows[i * dimension + j] = normal(generator);
      norm += rows[i * dimension + j] * rows[i * dimension + j];
    }
    norm = std::sqrt(norm);
    for (size_t j = 0; j < dimension; ++j) rows[i * dimension + j] /= norm;
  }
  return rows;
}

}  // namespace cascade::cache::testing
