// make-random-model OUT.gguf [--dim 768] [--layers 12] [--heads 12] [--kv-heads 12]
//                            [--ffn 2048] [--vocab 32000] [--context 512] [--seed 1]
//                            [--tokenizer-json tokenizer.json [--tokenizer-config
//                             tokenizer_config.json] [--pre llama-bpe|qwen2|gpt-2]]
//
// Writes a Llama-shaped GGUF (F32) with random weights: a compute-bound benchmark subject that
// this engine and llama.cpp both load. The defaults are the ~100M-parameter shape of the
// benchmark. The vocabulary is a synthetic SentencePiece one, or a real byte-level BPE
// tokenizer from a Hugging Face tokenizer.json (with its chat template from
// tokenizer_config.json). Use cascade-quantize for F16 / Q8_0 copies.
#include <charconv>
#include <iostream>
#include <string>

#include "services/inference/engine/random_model.h"
#include "tools/make_random_model/hf_tokenizer.h"

namespace {

constexpr char kUsage[] =
    "usage: make-random-model OUT.gguf [--dim N] [--layers N] [--heads N] [--kv-heads N]\n"
    "                         [--ffn N] [--vocab N] [--context N] [--seed N]\n"
    "                         [--tokenizer-json FILE [--tokenizer-config FILE] [--pre NAME]]\n"
    "Writes a Llama-shaped GGUF (F32) with random weights. Defaults: the ~100M shape (dim 768,\n"
    "12 layers, 12 heads, ffn 2048, a synthetic 32000-token SentencePiece vocabulary).\n"
    "--tokenizer-json: a Hugging Face byte-level BPE tokenizer instead (--vocab is then its\n"
    "size); --tokenizer-config adds its special tokens and chat template; --pre names the\n"
    "pre-tokenizer when its regular expression is not recognised (llama-bpe, qwen2, gpt-2).\n";

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
  spec.name = "random-llama-100m";
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
    if (arg == "--tokenizer-json" || arg == "--tokenizer-config" || arg == "--pre") {
      if (text.empty()) {
        std::cerr << "make-random-model: " << arg << " needs a value\n";
        return 2;
      }
      if (arg == "--tokenizer-json") {
        hf.tokenizer_json = text;
      } else if (arg == "--tokenizer-config") {
        hf.tokenizer_config_json = text;
      } else {
        hf.pre = cascade::engine::PreTokenizerFromGguf(text);
        if (!hf.pre.has_value()) {
          std::cerr << "make-random-model: --pre " << text << " is not one of "
                    << cascade::engine::SupportedPreTokenizers() << "\n";
          return 2;
        }
      }
      continue;
    }
    int value = 0;
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
  if (hf.tokenizer_json.empty() && (!hf.tokenizer_config_json.empty() || hf.pre.has_value())) {
    std::cerr << "make-random-model: --tokenizer-config and --pre need --tokenizer-json\n";
    return 2;
  }
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
    spec.name = "random-llama-bpe";
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
