#include "services/inference/engine/quantize.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/inference/engine/k_quants.h"

namespace cascade::engine {
namespace {

// llama.cpp's choice of the layers whose attn_v and ffn_down get more bits in "_M" files.
bool UseMoreBits(int layer, int layers) {
  return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
}

// N of "blk.N.", or -1.
int LayerOf(absl::string_view name) {
  if (!absl::ConsumePrefix(&name, "blk.")) return -1;
  const size_t dot = name.find('.');
  int layer = -1;
  if (dot == absl::string_view::npos || !absl::SimpleAtoi(name.substr(0, dot), &layer)) return -1;
  return layer;
}

// The model's layer count: any "*.block_count" key.
int LayerCount(const GgufFile& in) {
  for (const auto& [key, value] : in.metadata()) {
    if (absl::EndsWith(key, ".block_count") && value.is_integer()) {
      return static_cast<int>(value.int_value);
    }
  }
  return 0;
}

}  // namespace

uint32_t FileTypeFor(TensorType type) {
  switch (type) {
    case TensorType::kF32:
      return 0;  // LLAMA_FTYPE_ALL_F32
    case TensorType::kF16:
      return 1;  // LLAMA_FTYPE_MOSTLY_F16
    case TensorType::kQ4_0:
      return 2;  // LLAMA_FTYPE_MOSTLY_Q4_0
    case TensorType::kQ4_1:
      return 3;  // LLAMA_FTYPE_MOSTLY_Q4_1
    case TensorType::kQ5_0:
      return 8;  // LLAMA_FTYPE_MOSTLY_Q5_0
    case TensorType::kQ5_1:
      return 9;  // LLAMA_FTYPE_MOSTLY_Q5_1
    case TensorType::kQ8_0:
      return 7;  // LLAMA_FTYPE_MOSTLY_Q8_0
    case TensorType::kQ4_K:
      return 14;  // LLAMA_FTYPE_MOSTLY_Q4_K_S
    case TensorType::kQ5_K:
      return 16;  // LLAMA_FTYPE_MOSTLY_Q5_K_S
    case TensorType::kQ6_K:
      return 18;  // LLAMA_FTYPE_MOSTLY_Q6_K
  }
  return 0;
}

absl::string_view RecipeNames() {
  return "f32, f16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k, q4_k_m, q5_k_m";
}

absl::StatusOr<QuantizationRecipe> RecipeFromName(absl::string_view name) {
  struct Entry {
    absl::string_view name;
    TensorType type;
    bool mixed;
  };
  constexpr Entry kRecipes[] = {
      {"f32", TensorType::kF32, false},    {"f16", TensorType::kF16, false},
      {"q8_0", TensorType::kQ8_0, false},  {"q4_0", TensorType::kQ4_0, false},
      {"q4_1", TensorType::kQ4_1, false},  {"q5_0", TensorType::kQ5_0, false},
      {"q5_1", TensorType::kQ5_1, false},  {"q4_k", TensorType::kQ4_K, false},
      {"q5_k", TensorType::kQ5_K, false},  {"q6_k", TensorType::kQ6_K, false},
      {"q4_k_m", TensorType::kQ4_K, true}, {"q5_k_m", TensorType::kQ5_K, true},
  };
  for (const Entry& entry : kRecipes) {
    if (entry.name != name) continue;
    QuantizationRecipe recipe{std::string(name), entry.type, entry.mixed, FileTypeFor(entry.type)};
    if (entry.mixed) recipe.file_type = entry.type == TensorType::kQ4_K ? 15 : 17;  // *_K_M
    return recipe;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown type '", name, "' (supported: ", RecipeNames(), ")"));
}

TensorType TypeForTensor(const QuantizationRecipe& recipe, absl::string_view name, int64_t cols,
                         int layers) {
  TensorType type = recipe.type;
  if (recipe.mixed) {
    const int layer = LayerOf(name);
    const bool more_bits_matrix =
        absl::StrContains(name, "attn_v.weight") || absl::StrContains(name, "ffn_down.weight");
    if (name == "output.weight" || (more_bits_matrix && layer >= 0 && UseMoreBits(layer, layers))) {
      type = TensorType::kQ6_K;
    }
  }
  if (cols % BlockElements(type) != 0 && BlockElements(type) == kSuperBlock) {
    if (recipe.fallback) return *recipe.fallback;
    return type == TensorType::kQ4_K   ? TensorType::kQ5_0
           : type == TensorType::kQ5_K ? TensorType::kQ5_1
                                       : TensorType::kQ8_0;
  }
  return type;
}

absl::Status QuantizeModel(const GgufFile& in, TensorType type, GgufWriter& out) {
  return QuantizeModel(in, {"", type, false, FileTypeFor(type)}, out);
}

absl::Status QuantizeModel(const GgufFile& in, const QuantizationRecipe& recipe, GgufWriter& out) {
  for (const auto& [key, value] : in.metadata()) out.SetMetadata(key, value);
  out.SetAlignment(static_cast<uint32_t>(in.alignment()));
  out.SetMetadata("general.file_type", GgufUint32(recipe.file_type));
  const int layers = LayerCount(in);
  std::vector<float> row;
  for (const GgufTensorInfo& tensor : in.tensors()) {
    const int64_t cols = tensor.dims[0];
    const bool convert = tensor.dims.size() == 2;
    const TensorType target =
        convert ? TypeForTensor(recipe, tensor.name, cols, layers) : tensor.type;
    if (cols % BlockElements(target) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor '", tensor.name, "' has rows of ", cols, " elements, not a multiple of ",
          BlockElements(target), " as ", GgmlTypeName(static_cast<uint32_t>(target)), " needs"));
    }
    const size_t in_row_bytes = RowBytes(tensor.type, cols);
    const size_t out_row_bytes = RowBytes(target, cols);
    std::vector<uint8_t> data(out_row_bytes * static_cast<size_t>(tensor.rows()));
    row.resize(cols);
    for (int64_t r = 0; r < tensor.rows(); ++r) {
      DequantizeRow(tensor.type, tensor.data + r * in_row_bytes, cols, row.data());
      QuantizeRow(target, row.data(), cols, data.data() + r * out_row_bytes);
    }
    if (auto s = out.AddTensor(tensor.name, tensor.dims, target, std::move(data)); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace cascade::engine
