// cascade-bench-kernels: the engine's matmul per weight type and kernel set (Google Benchmark).
// One matrix of the ~100M random Llama's FFN shape (2048 rows of 768), one token (decoding),
// 16 tokens (a batch of 16 conversations decoding) and 64 tokens (prompt processing); weights
// quantized from the same random values for every type, so the types compare on equal work.
// Counters: weights per second ("weights/s") and the bytes of weights read per second ("bytes/s",
// for decoding: how near the memory bound).
//
//   cascade-bench-kernels [--benchmark_filter=Q4_K] [--benchmark_min_time=0.5]
//
// Baselines in the same run: the scalar kernels, and Q8_0 (the type decoding was fastest in).
// avx512-vnni differs from avx512 only for Q8_0, which it repacks for 8-bit products.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "services/inference/engine/kernels.h"
#include "services/inference/engine/rng.h"
#include "services/inference/engine/tensor_type.h"

namespace cascade::engine {
namespace {

constexpr int64_t kRows = 2048;
constexpr int64_t kCols = 768;

struct Weights {
  std::vector<uint8_t> bytes;
  Matrix matrix;
};

std::vector<float> RandomValues(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> values(n);
  for (float& v : values) v = static_cast<float>(rng.Uniform() * 2 - 1);
  return values;
}

const Weights& WeightsOf(TensorType type) {
  static auto* cache = new std::vector<std::pair<TensorType, Weights>>();
  for (const auto& [t, w] : *cache) {
    if (t == type) return w;
  }
  const auto values = RandomValues(kRows * kCols, 1);
  Weights w;
  const size_t row_bytes = RowBytes(type, kCols);
  w.bytes.resize(row_bytes * kRows);
  for (int64_t r = 0; r < kRows; ++r) {
    QuantizeRow(type, &values[r * kCols], kCols, &w.bytes[r * row_bytes]);
  }
  cache->emplace_back(type, std::move(w));
  Weights& stored = cache->back().second;
  stored.matrix = Matrix{type, kRows, kCols, stored.bytes.data(), row_bytes};
  return stored;
}

void BM_Matmul(benchmark::State& state, const Kernels* kernels, TensorType type, int tokens) {
  if (kernels == nullptr) {
    state.SkipWithError("this CPU lacks the kernel set");
    return;
  }
  const Weights& w = WeightsOf(type);
  Matrix matrix = w.matrix;
  std::vector<uint8_t> packed;  // the set's own layout, where it has one (as Model::Load packs)
  if (kernels->pack != nullptr && kernels->pack(matrix, packed)) matrix.packed = packed.data();
  const auto x = RandomValues(static_cast<size_t>(tokens) * kCols, 2);
  std::vector<float> out(static_cast<size_t>(tokens) * kRows);
  for (auto _ : state) {
    kernels->matmul(matrix, 0, kRows, x.data(), tokens, out.data(), kRows);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double iterations = static_cast<double>(state.iterations());
  state.counters["weights/s"] =
      benchmark::Counter(iterations * kRows * kCols * tokens, benchmark::Counter::kIsRate);
  state.counters["bytes/s"] =
      benchmark::Counter(iterations * static_cast<double>(w.bytes.size()),
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1024);
}

void RegisterAll() {
  const std::pair<const char*, const Kernels*> sets[] = {{"scalar", &ScalarKernels()},
                                                         {"avx2", Avx2Kernels()},
                                                         {"avx512", Avx512Kernels()},
                                                         {"avx512-vnni", Avx512VnniKernels()}};
  const TensorType types[] = {TensorType::kF16,  TensorType::kQ8_0, TensorType::kQ4_0,
                              TensorType::kQ4_1, TensorType::kQ5_0, TensorType::kQ5_1,
                              TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K};
  for (int tokens : {1, 16, 64}) {
    for (TensorType type : types) {
      for (const auto& [set_name, kernels] : sets) {
        const std::string name = std::string(tokens == 1    ? "decode/"
                                             : tokens == 16 ? "batch16/"
                                                            : "prompt64/") +
                                 GgmlTypeName(static_cast<uint32_t>(type)) + "/" + set_name;
        benchmark::RegisterBenchmark(name.c_str(), BM_Matmul, kernels, type, tokens)
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

}  // namespace
}  // namespace cascade::engine

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  cascade::engine::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
