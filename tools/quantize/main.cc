// cascade-quantize IN.gguf OUT.gguf --type
// f16|q8_0|q4_0|q4_1|q5_0|q5_1|q4_k|q5_k|q6_k|q4_k_m|q5_k_m|f32
//
// Writes a copy of a model with its weight matrices in another element type, or in a K-quant
// mix like llama.cpp's (q4_k_m). Norm vectors stay F32. The result loads in this engine and in
// llama.cpp.
#include <iostream>
#include <string>

#include "services/inference/engine/gguf.h"
#include "services/inference/engine/quantize.h"

namespace {

constexpr const char* kUsage =
    "usage: cascade-quantize IN.gguf OUT.gguf --type TYPE\n"
    "TYPE: f16, q8_0, q4_0, q4_1, q5_0, q5_1, f32; K-quants q4_k, q5_k, q6_k; mixes q4_k_m, "
    "q5_k_m\n"
    "(as llama.cpp makes them: output.weight and some layers' attn_v / ffn_down in q6_k).\n"
    "A matrix whose rows are not a multiple of 256 weights cannot take a K-quant and gets\n"
    "what llama.cpp gives it: q5_0 for q4_k, q5_1 for q5_k, q8_0 for q6_k; --fallback TYPE\n"
    "(f32, f16, q8_0, q4_0, q4_1, q5_0 or q5_1) chooses one type for all of them instead.\n";

}  // namespace

int main(int argc, char** argv) {
  std::string in_path, out_path, type_name, fallback_name;  // fallback: llama.cpp's
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--type" && i + 1 < argc) {
      type_name = argv[++i];
    } else if (arg == "--fallback" && i + 1 < argc) {
      fallback_name = argv[++i];
    } else if (arg.rfind("--", 0) == 0) {
      std::cerr << "cascade-quantize: unknown flag or missing value: " << arg << "\n" << kUsage;
      return 2;
    } else if (in_path.empty()) {
      in_path = arg;
    } else if (out_path.empty()) {
      out_path = arg;
    } else {
      std::cerr << "cascade-quantize: too many arguments\n" << kUsage;
      return 2;
    }
  }
  if (in_path.empty() || out_path.empty() || type_name.empty()) {
    std::cerr << "cascade-quantize: need IN, OUT and --type\n" << kUsage;
    return 2;
  }
  auto recipe = cascade::engine::RecipeFromName(type_name);
  if (!recipe.ok()) {
    std::cerr << "cascade-quantize: --type: " << recipe.status().message() << "\n";
    return 2;
  }
  if (!fallback_name.empty()) {
    auto fallback = cascade::engine::RecipeFromName(fallback_name);
    if (!fallback.ok() || fallback->mixed || cascade::engine::BlockElements(fallback->type) > 32) {
      std::cerr
          << "cascade-quantize: --fallback must be f32, f16, q8_0, q4_0, q4_1, q5_0 or q5_1, got '"
          << fallback_name << "'\n";
      return 2;
    }
    recipe->fallback = fallback->type;
  }
  auto in = cascade::engine::GgufFile::Open(in_path);
  if (!in.ok()) {
    std::cerr << "cascade-quantize: " << in.status().message() << "\n";
    return 1;
  }
  cascade::engine::GgufWriter out;
  if (auto s = cascade::engine::QuantizeModel(**in, *recipe, out); !s.ok()) {
    std::cerr << "cascade-quantize: " << s.message() << "\n";
    return 1;
  }
  if (auto s = out.WriteFile(out_path); !s.ok()) {
    std::cerr << "cascade-quantize: " << s.message() << "\n";
    return 1;
  }
  std::cerr << "wrote " << out_path << " (" << type_name << ")\n";
  return 0;
}
