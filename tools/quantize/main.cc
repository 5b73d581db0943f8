// cascade-quantize IN.gguf OUT.gguf --type f16|q8_0|q4_0|f32
//
// Writes a copy of a model with its weight matrices in another element type. Norm vectors stay
// F32. The result loads in this engine and in llama.cpp.
#include <iostream>
#include <string>

#include "services/inference/engine/gguf.h"
#include "services/inference/engine/quantize.h"

namespace {

constexpr const char* kUsage =
    "usage: cascade-quantize IN.gguf OUT.gguf --type f16|q8_0|q4_0|f32\n";

}  // namespace

int main(int argc, char** argv) {
  using cascade::engine::TensorType;
  std::string in_path, out_path, type_name;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--type" && i + 1 < argc) {
      type_name = argv[++i];
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
  TensorType type;
  if (type_name == "f16")
    type = TensorType::kF16;
  else if (type_name == "q8_0")
    type = TensorType::kQ8_0;
  else if (type_name == "q4_0")
    type = TensorType::kQ4_0;
  else if (type_name == "f32")
    type = TensorType::kF32;
  else {
    std::cerr << "cascade-quantize: unknown --type '" << type_name
              << "' (supported: f16, q8_0, q4_0, f32)\n";
    return 2;
  }
  auto in = cascade::engine::GgufFile::Open(in_path);
  if (!in.ok()) {
    std::cerr << "cascade-quantize: " << in.status().message() << "\n";
    return 1;
  }
  cascade::engine::GgufWriter out;
  if (auto s = cascade::engine::QuantizeModel(**in, type, out); !s.ok()) {
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
