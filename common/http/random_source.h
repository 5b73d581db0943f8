#pragma once

// Where backoff jitter comes from, behind an interface so tests pick the numbers.

namespace cascade::http {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Uniform in [0, 1).
  virtual double Uniform01() = 0;
};

// Thread-safe, seeded from std::random_device.
RandomSource* SystemRandom();

}  // namespace cascade::http
