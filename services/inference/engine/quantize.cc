#include "services/inference/engine/quantize.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace cascade::engine {

uint32_t FileTypeFor(TensorType type) {
  switch (type) {
    case TensorType::kF32:
      return 0;  // LLAMA_FTYPE_ALL_F32
    case TensorType::kF16:
      return 1;  // LLAMA_FTYPE_MOSTLY_F16
    case TensorType::kQ4_0:
      return 2;  // LLAMA_FTYPE_MOSTLY_Q4_0
    case TensorType::kQ8_0:
      return 7;  // LLAMA_FTYPE_MOSTLY_Q8_0
  }
  return 0;
}

absl::Status QuantizeModel(const GgufFile& in, TensorType type, GgufWriter& out) {
  for (const auto& [key, value] : in.metadata()) out.SetMetadata(key, value);
  out.SetAlignment(static_cast<uint32_t>(in.alignment()));
  out.SetMetadata("general.file_type", GgufUint32(FileTypeFor(type)));
  std::vector<float> row;
  for (const GgufTensorInfo& tensor : in.tensors()) {
    const int64_t cols = tensor.dims[0];
    const bool convert = tensor.dims.size() == 2;
    const TensorType target = convert ? type : tensor.type;
    if (target != TensorType::kF32 && target != TensorType::kF16 && cols % kQuantBlock != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tensor '", tensor.name, "' has rows of ", cols, " elements, not a multiple of ",
          kQuantBlock, " as ", GgmlTypeName(static_cast<uint32_t>(target)), " needs"));
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
