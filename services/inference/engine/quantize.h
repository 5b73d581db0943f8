// Converts a model file's weight matrices to another element type (what cascade-quantize does).
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/inference/engine/gguf.h"
#include "services/inference/engine/gguf_writer.h"

namespace cascade::engine {

// Which type each matrix gets: one type for all, or a K-quant mix like llama.cpp's "_M"
// files (Q4_K_M, Q5_K_M): output.weight in Q6_K, attn_v and ffn_down in Q6_K in the layers
// that matter most (the first and last eighth, and every third between), the rest in `type`.
// A matrix whose rows are not a multiple of a K-quant's 256 weights gets `fallback`, or by
// default what llama.cpp gives it: Q5_0 for Q4_K, Q5_1 for Q5_K, Q8_0 for Q6_K (so a Qwen2.5-0.5B
// Q4_K_M made here has the types of the one people download).
struct QuantizationRecipe {
  std::string name;  // as cascade-quantize's --type says it: "q4_k_m"
  TensorType type = TensorType::kF32;
  bool mixed = false;
  uint32_t file_type = 0;  // general.file_type (LLAMA_FTYPE_*)
  std::optional<TensorType> fallback = {};
};

// f32, f16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k, q4_k_m, q5_k_m; InvalidArgument listing
// them.
absl::StatusOr<QuantizationRecipe> RecipeFromName(absl::string_view name);
absl::string_view RecipeNames();

// The type `recipe` gives the 2-D tensor `name` with rows of `cols`, in a model of `layers`.
TensorType TypeForTensor(const QuantizationRecipe& recipe, absl::string_view name, int64_t cols,
                         int layers);

// Copies `in` into `out`: every 2-D tensor converted as the recipe says (from any supported
// type), 1-D tensors (the norms) kept as they are, metadata copied with general.file_type
// updated. Rows must be a multiple of 32 for Q8_0 / Q4_0 / Q5_0 / Q5_1; other tensors are an
// error.
absl::Status QuantizeModel(const GgufFile& in, const QuantizationRecipe& recipe, GgufWriter& out);
absl::Status QuantizeModel(const GgufFile& in, TensorType type, GgufWriter& out);

// The GGUF general.file_type value for a file whose matrices are all `type`.
uint32_t FileTypeFor(TensorType type);

}  // namespace cascade::engine
