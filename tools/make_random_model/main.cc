// make-random-model OUT.gguf [--dim 768] [--layers 12] [--heads 12] [--kv-heads 12]
//                            [--ffn 2048] [--vocab 32000] [--context 512] [--seed 1]
//
// Writes a Llama-shaped GGUF (F32) with random weights and a synthetic SentencePiece vocabulary:
// a compute-bound benchmark subject that this engine and llama.cpp both load. The defaults are
// the ~100M-parameter shape of the benchmark. Use cascade-quantize for F16 / Q8_0 copies.
#include <charconv>
#include <iostream>
#include <string>

#include "services/inference/engine/random_model.h"

int main(int argc, char** argv) {
  cascade::engine::RandomModelSpec spec;
  auto& c = spec.config;
  c.dim = 768;
  c.layers = 12;
  c.heads = 12;
  c.kv_heads = 12;
  c.ffn_dim = 2048;
  c.vocab_size = 32000;
  c.context_length = 512;
  spec.name = "random-llama-100m";
  std::string out_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << "usage: make-random-model OUT.gguf [--dim N] [--layers N] [--heads N] "
                   "[--kv-heads N] [--ffn N] [--vocab N] [--context N] [--seed N]\n";
      return 0;
    }
    if (arg.rfind("--", 0) != 0) {
      out_path = arg;
      continue;
    }
    int value = 0;
    const std::string text = i + 1 < argc ? argv[++i] : "";
    auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || ptr != text.data() + text.size() || value <= 0) {
      std::cerr << "make-random-model: " << arg << " needs a positive integer\n";
      return 2;
    }
    if (arg == "--dim")
      c.dim = value;
    else if (arg == "--layers")
      c.layers = value;
    else if (arg == "--heads")
      c.heads = value;
    else if (arg == "--kv-heads")
      c.kv_heads = value;
    else if (arg == "--ffn")
      c.ffn_dim = value;
    else if (arg == "--vocab")
      c.vocab_size = value;
    else if (arg == "--context")
      c.context_length = value;
    else if (arg == "--seed")
      spec.seed = value;
    else {
      std::cerr << "make-random-model: unknown flag " << arg << "\n";
      return 2;
    }
  }
  if (out_path.empty()) {
    std::cerr << "make-random-model: no output path (see --help)\n";
    return 2;
  }
  cascade::engine::GgufWriter writer;
  if (auto s = cascade::engine::WriteRandomModel(spec, writer); !s.ok()) {
    std::cerr << "make-random-model: " << s.message() << "\n";
    return 1;
  }
  if (auto s = writer.WriteFile(out_path); !s.ok()) {
    std::cerr << "make-random-model: " << s.message() << "\n";
    return 1;
  }
  std::cerr << "wrote " << out_path << "\n";
  return 0;
}
