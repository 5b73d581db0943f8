// cascade-gpu-bench: the CUDA backend's decode speed against the card's memory bandwidth.
//
//   cascade-gpu-bench [--models DIR] [--shapes 1b,7b] [--steps N]
//
// Llama-shaped models with random F16 weights made in GPU memory (no download, no 13 GB host
// buffer): a 1B shape (TinyLlama's) and a 7B shape (Llama 2's). For each: batch-1 decode
// tokens/s and achieved bandwidth (weight bytes read per token x tokens/s) against two ceilings
// measured in this run, the device-to-device copy bandwidth and the nominal peak from
// cudaDeviceGetAttribute; then the cost of verifying k = 1..8 draft tokens in one pass relative
// to one decode step, and the speculative speedup that cost implies at the bard pair's
// acceptance (measured here when --models has the F16 bard pair). With the pair, also the real
// speedup of the n-gram drafter on repetitive text. Without a GPU it says so and exits 0.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "services/inference/engine/cuda/cuda_backend.h"
#include "services/inference/engine/cuda/cuda_session.h"
#include "services/inference/engine/cuda/device_buffer.h"
#include "services/inference/engine/cuda/device_weights.h"
#include "services/inference/engine/engine.h"

namespace {

using cascade::engine::Device;
using cascade::engine::Engine;
using cascade::engine::GenerateOptions;
using cascade::engine::Model;
using cascade::engine::ModelConfig;
using cascade::engine::SpeculationOptions;
using cascade::engine::cuda::CudaSession;
using cascade::engine::cuda::DeviceBuffer;
using cascade::engine::cuda::DeviceWeights;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "cascade-gpu-bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T OrDie(absl::StatusOr<T> value) {
  if (!value.ok()) Die(std::string(value.status().message()));
  return std::move(*value);
}

void OrDie(const absl::Status& status) {
  if (!status.ok()) Die(std::string(status.message()));
}

// Device-to-device copy: bytes read plus bytes written per second, over a 1 GiB buffer.
double CopyBandwidth() {
  const size_t bytes = size_t{1} << 30;
  DeviceBuffer a = OrDie(DeviceBuffer::Allocate(bytes, "copy source"));
  DeviceBuffer b = OrDie(DeviceBuffer::Allocate(bytes, "copy target"));
  cudaMemcpy(b.data(), a.data(), bytes, cudaMemcpyDeviceToDevice);  // warm up
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  const int reps = 20;
  cudaEventRecord(start);
  for (int i = 0; i < reps; ++i) {
    cudaMemcpyAsync(i % 2 ? a.data() : b.data(), i % 2 ? b.data() : a.data(), bytes,
                    cudaMemcpyDeviceToDevice);
  }
  cudaEventRecord(stop);
  cudaEventSynchronize(stop);
  float ms = 0;
  cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  OrDie(cascade::engine::cuda::CudaStatus(cudaGetLastError(), "the copy benchmark"));
  return 2.0 * bytes * reps / (ms / 1000.0);
}

// Nominal peak: memory clock (kHz) x 2 (double data rate) x bus width. CUDA 13 removed
// cudaDeviceProp::memoryClockRate; the attribute remains. 0 when the driver does not say.
double NominalBandwidth() {
  int device = 0, clock_khz = 0, bus_bits = 0;
  cudaGetDevice(&device);
  if (cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, device) != cudaSuccess ||
      clock_khz == 0 || bus_bits == 0) {
    cudaGetLastError();
    return 0;
  }
  return 2.0 * clock_khz * 1e3 * bus_bits / 8;
}

ModelConfig Shape(const std::string& name) {
  ModelConfig c;
  if (name == "1b") {  // TinyLlama 1.1B
    c.dim = 2048, c.layers = 22, c.heads = 32, c.kv_heads = 4, c.ffn_dim = 5632;
  } else if (name == "7b") {  // Llama 2 7B
    c.dim = 4096, c.layers = 32, c.heads = 32, c.kv_heads = 32, c.ffn_dim = 11008;
  } else {
    Die("unknown shape '" + name + "' (1b, 7b)");
  }
  c.head_dim = c.dim / c.heads;
  c.rope_dims = c.head_dim;
  c.vocab_size = 32000;
  c.context_length = 512;
  return c;
}

struct ShapeResult {
  std::string name;
  double gb_per_token = 0;
  double decode_ms = 0;
  std::vector<double> verify_ratio;  // [k - 1]: pass over k + 1 tokens / one decode step
};

// Mean seconds of `body` over `reps` runs after `warm` unmeasured ones.
template <typename F>
double Time(int warm, int reps, F body) {
  for (int i = 0; i < warm; ++i) body();
  const double start = Now();
  for (int i = 0; i < reps; ++i) body();
  return (Now() - start) / reps;
}

ShapeResult BenchShape(const std::string& name, int steps) {
  ShapeResult r;
  r.name = name;
  const ModelConfig config = Shape(name);
  auto weights = OrDie(DeviceWeights::RandomF16(config, 1));
  r.gb_per_token = weights->bytes_per_token() / 1e9;
  auto session = OrDie(CudaSession::Create(weights));
  std::vector<int> prompt(16);
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int>(100 + 37 * i);
  OrDie(session->Forward(prompt, 1));
  const int base = session->position();
  // Greedy decode: feed the argmax back, as the engine does; the cache grows as it would.
  int token = session->ArgmaxRow(0);
  const double decode = Time(4, steps, [&] {
    OrDie(session->Forward({&token, 1}, 1));
    token = session->ArgmaxRow(0);
  });
  r.decode_ms = decode * 1e3;
  // Verification: the last token plus k drafts, logits for all, then roll back.
  for (int k = 1; k <= 8; ++k) {
    std::vector<int> batch(k + 1, token);
    const double verify = Time(2, std::max(8, steps / 4), [&] {
      session->Truncate(base);
      OrDie(session->Forward(batch, k + 1));
    });
    r.verify_ratio.push_back(verify / decode);
  }
  return r;
}

// Tokens per round at first-position acceptance a with k drafts (each accepted with a,
// independently): 1 + a + ... + a^k.
double TokensPerRound(double a, int k) {
  double sum = 0, power = 1;
  for (int i = 0; i <= k; ++i, power *= a) sum += power;
  return sum;
}

struct RealRun {
  double tokens_per_second = 0;
  double acceptance = 0;
};

RealRun RunBard(const std::shared_ptr<const Model>& target, const std::vector<int>& prompt,
                const SpeculationOptions& speculation, int max_tokens) {
  auto engine = OrDie(Engine::Create(target, {.threads = 1, .device = Device::kCuda}));
  GenerateOptions request;
  request.prompt = prompt;
  request.max_tokens = max_tokens;
  request.stop_at_eos = false;
  request.speculation = speculation;
  OrDie(engine->Generate(request).status());  // warm up
  const double start = Now();
  auto result = OrDie(engine->Generate(request));
  RealRun run;
  run.tokens_per_second = result.tokens.size() / (Now() - start);
  if (result.speculation.rounds > 0) {
    run.acceptance =
        static_cast<double>(result.speculation.accepted_at_position[0]) / result.speculation.rounds;
  }
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  std::string models;
  std::string shapes = "1b,7b";
  int steps = 64;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const bool has_value = i + 1 < argc;
    if (flag == "--models" && has_value) {
      models = argv[++i];
    } else if (flag == "--shapes" && has_value) {
      shapes = argv[++i];
    } else if (flag == "--steps" && has_value) {
      steps = std::max(4, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr,
                   "usage: cascade-gpu-bench [--models DIR] [--shapes 1b,7b] [--steps N]\n");
      return 2;
    }
  }
  if (auto gpu = cascade::engine::cuda::CudaDeviceAvailable(); !gpu.ok()) {
    std::printf("SKIPPED: no GPU here (%s)\n", std::string(gpu.message()).c_str());
    return 0;
  }
  std::printf("device: %s\n", cascade::engine::cuda::CudaDeviceDescription().c_str());
  const double copy = CopyBandwidth();
  const double nominal = NominalBandwidth();
  std::printf("ceilings: device-to-device copy %.0f GB/s (read + write), nominal peak %s\n",
              copy / 1e9,
              nominal > 0 ? (std::to_string(static_cast<int>(nominal / 1e9)) + " GB/s").c_str()
                          : "unavailable (the driver reports no memory clock)");

  // The bard pair, when given: its measured acceptance, and the real n-gram speedup.
  double acceptance = 0.45;  // tools/bench/engine on the CPU: about 0.45 at the first position
  std::string acceptance_source = "assumed (CPU measurement)";
  std::shared_ptr<const Model> target, draft;
  if (!models.empty()) {
    target = OrDie(Model::Load(models + "/bard-target-3m-f16.gguf"));
    draft = OrDie(Model::Load(models + "/bard-draft-0.5m-f16.gguf"));
    const std::vector<int> romeo = OrDie(target->tokenizer().Encode("ROMEO:"));
    const RealRun pair = RunBard(target, romeo,
                                 {.mode = SpeculationOptions::Mode::kDraftModel,
                                  .draft_model = draft,
                                  .max_draft_tokens = 4},
                                 200);
    acceptance = pair.acceptance;
    acceptance_source = "measured: bard pair, greedy, GPU";
  }

  std::printf(
      "\n| shape | GB/token | decode tok/s | achieved GB/s | %% of copy | %% of nominal |\n");
  std::printf("| --- | --- | --- | --- | --- | --- |\n");
  std::vector<ShapeResult> results;
  for (const auto& name : absl::StrSplit(shapes, ',')) {
    results.push_back(BenchShape(std::string(name), steps));
    const ShapeResult& r = results.back();
    const double tps = 1e3 / r.decode_ms;
    const double achieved = r.gb_per_token * 1e9 * tps;
    std::printf("| %s | %.2f | %.1f | %.0f | %.1f%% | %s |\n", r.name.c_str(), r.gb_per_token, tps,
                achieved / 1e9, 100 * achieved / copy,
                nominal > 0 ? (std::to_string(100 * achieved / nominal).substr(0, 4) + "%").c_str()
                            : "n/a");
  }

  std::printf(
      "\nverification pass over k drafts (k + 1 tokens) / one decode step, and the "
      "speculative speedup it implies at first-position acceptance a = %.3f (%s), "
      "draft cost not counted:\n\n| shape | k | cost ratio | tokens/round | implied speedup |\n"
      "| --- | --- | --- | --- | --- |\n",
      acceptance, acceptance_source.c_str());
  for (const ShapeResult& r : results) {
    for (int k = 1; k <= static_cast<int>(r.verify_ratio.size()); ++k) {
      const double per_round = TokensPerRound(acceptance, k);
      std::printf("| %s | %d | %.2f | %.2f | %.2fx |\n", r.name.c_str(), k, r.verify_ratio[k - 1],
                  per_round, per_round / r.verify_ratio[k - 1]);
    }
  }

  if (target != nullptr) {
    std::string text;
    for (int i = 0; i < 8; ++i) text += "To be, or not to be, that is the question.\n";
    const std::vector<int> prompt = OrDie(target->tokenizer().Encode(text));
    const RealRun alone = RunBard(target, prompt, {}, 200);
    const RealRun ngram = RunBard(
        target, prompt,
        {.mode = SpeculationOptions::Mode::kNgram, .draft_model = nullptr, .max_draft_tokens = 4},
        200);
    std::printf(
        "\nn-gram drafter, repetitive prompt, bard target F16 on the GPU, 200 tokens "
        "greedy:\n\n| run | tok/s | first-position acceptance |\n| --- | --- | --- |\n"
        "| target alone | %.0f | - |\n| n-gram k=4 | %.0f | %.3f |\n| speedup | %.2fx | |\n",
        alone.tokens_per_second, ngram.tokens_per_second, ngram.acceptance,
        ngram.tokens_per_second / alone.tokens_per_second);
  }
  return 0;
}
