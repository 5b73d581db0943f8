// make-random-model OUT.gguf [--arch llama|qwen2|qwen3] [--dim 768] [--layers 12] [--heads 12]
//                            [--kv-heads 12] [--head-dim N] [--ffn 2048] [--vocab 32000]
//                            [--context 512] [--rope-theta 10000] [--rope-scaling none|llama3]
//                            [--seed 1] [--tokenizer-json tokenizer.json [--tokenizer-config
//                             tokenizer_config.json] [--pre llama-bpe|qwen2|gpt-2]]
//
// Writes a GGUF (F32) with random weights of one of the engine's architectures: a
// compute-bound benchmark subject that this engine and llama.cpp both load, and the subject of
// the conformance tests. The defaults are the ~100M-parameter llama shape of the benchmark.
// qwen2 adds Q/K/V biases, qwen3 QK-norm weights (and --head-dim may differ from dim / heads);
// --rope-scaling llama3 writes rope_freqs.weight with Llama 3.1's divisors (factor 8, original
// context 8192). The vocabulary is a synthetic SentencePiece one, or a real byte-level BPE
// tokenizer from a Hugging Face tokenizer.json (with its chat template from
// tokenizer_config.json). Use cascade-quantize for F16 / Q8_0 copies.
#include <charconv>
#include <iostream>
#include <string>

#include "services/inference/engine/random_model.h"
#include "tools/make_random_model/hf_tokenizer.h"

namespace {

constexpr char kUsage[] =
    "usage: make-random-model OUT.gguf [--arch llama|qwen2|qwen3] [--dim N] [--layers N]\n"
    "                         [--heads N] [--kv-heads N] [--head-dim N] [--ffn N] [--vocab N]\n"
    "                         [--context N] [--rope-theta X] [--rope-scaling none|llama3]\n"
    "                         [--seed N]\n"
    "                         [--tokenizer-json FILE [--tokenizer-config FILE] [--pre NAME]]\n"
    "Writes a GGUF (F32) with random weights. Defaults: the ~100M llama shape (dim 768,\n"
    "12 layers, 12 heads, ffn 2048, a synthetic 32000-token SentencePiece vocabulary).\n"
    "--arch: llama (default); qwen2 adds biases to the Q, K and V projections; qwen3 adds\n"
    "RMSNorm weights for each query and key head.\n"
    "--head-dim: per-head width when it is not dim / heads (as in Qwen 3).\n"
    "--rope-theta: RoPE frequency base (default 10000; Llama 3 uses 500000).\n"
    "--rope-scaling llama3: Llama 3.1's per-frequency divisors in rope_freqs.weight (factor 8,\n"
    "low/high frequency factors 1 and 4, original context 8192); --arch llama only.\n"
    "--tokenizer-json: a Hugging Face byte-level BPE tokenizer instead (--vocab is then its\n"
    "size); --tokenizer-config adds its special tokens and chat template; --pre names the\n"
    "pre-tokenizer when its regular expression is not recognised (llama-bpe, qwen2, gpt-2).\n";

int Fail(const std::string& message) {
  std::cerr << "make-random-model: " << message << "\n";
  return 2;
}

}  // namespace

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
  std::string out_path;
  cascade::engine::HfTokenizerOptions hf;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg.rfind("--", 0) != 0) {
      out_path = arg;
      continue;
    }
    const std::string text = i + 1 < argc ? argv[++i] : "";
    if (text.empty()) return Fail(arg + " needs a value");
    if (arg == "--tokenizer-json") {
      hf.tokenizer_json = text;
    } else if (arg == "--tokenizer-config") {
      hf.tokenizer_config_json = text;
    } else if (arg == "--pre") {
      hf.pre = cascade::engine::PreTokenizerFromGguf(text);
      if (!hf.pre.has_value()) {
        return Fail("--pre " + text + " is not one of " +
                    std::string(cascade::engine::SupportedPreTokenizers()));
      }
    } else if (arg == "--arch") {
      bool known = false;
      for (auto architecture :
           {cascade::engine::Architecture::kLlama, cascade::engine::Architecture::kQwen2,
            cascade::engine::Architecture::kQwen3}) {
        if (text == cascade::engine::ArchitectureName(architecture)) {
          c.architecture = architecture;
          known = true;
        }
      }
      if (!known) {
        return Fail("--arch " + text + " is not one of " +
                    cascade::engine::SupportedArchitectures());
      }
    } else if (arg == "--rope-scaling") {
      if (text != "none" && text != "llama3") return Fail("--rope-scaling is none or llama3");
      spec.llama3_rope_scaling = text == "llama3";
    } else if (arg == "--rope-theta") {
      float value = 0;
      auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc() || ptr != text.data() + text.size() || !(value > 0)) {
        return Fail("--rope-theta needs a positive number");
      }
      c.rope_theta = value;
    } else {
      int value = 0;
      auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc() || ptr != text.data() + text.size() || value <= 0) {
        return Fail(arg + " needs a positive integer");
      }
      if (arg == "--dim")
        c.dim = value;
      else if (arg == "--layers")
        c.layers = value;
      else if (arg == "--heads")
        c.heads = value;
      else if (arg == "--kv-heads")
        c.kv_heads = value;
      else if (arg == "--head-dim")
        c.head_dim = value;
      else if (arg == "--ffn")
        c.ffn_dim = value;
      else if (arg == "--vocab")
        c.vocab_size = value;
      else if (arg == "--context")
        c.context_length = value;
      else if (arg == "--seed")
        spec.seed = value;
      else
        return Fail("unknown flag " + arg + " (see --help)");
    }
  }
  if (out_path.empty()) return Fail("no output path (see --help)");
  if (hf.tokenizer_json.empty() && (!hf.tokenizer_config_json.empty() || hf.pre.has_value())) {
    return Fail("--tokenizer-config and --pre need --tokenizer-json");
  }
  const std::string arch(cascade::engine::ArchitectureName(c.architecture));
  spec.name = "random-" + arch + "-100m";
  cascade::engine::HfTokenizer tokenizer;
  if (!hf.tokenizer_json.empty()) {
    auto read = cascade::engine::ReadHfTokenizer(hf);
    if (!read.ok()) {
      std::cerr << "make-random-model: " << read.status().message() << "\n";
      return 1;
    }
    tokenizer = *std::move(read);
    spec.vocab = &tokenizer.vocab;
    spec.chat_template = tokenizer.chat_template;
    spec.name = "random-" + arch + "-bpe";
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
