#include "common/http/random_source.h"

#include <random>

namespace cascade::http {
namespace {

class ThreadLocalRandom final : public RandomSource {
 public:
  double Uniform01() override {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
  }
};

}  // namespace

RandomSource* SystemRandom() {
  static auto* random = new ThreadLocalRandom();
  return random;
}

}  // namespace cascade::http
