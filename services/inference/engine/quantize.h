// Converts a model file's weight matrices to another element type (what cascade-quantize does).
#pragma once

#include "absl/status/status.h"
#include "services/inference/engine/gguf.h"
#include "services/inference/engine/gguf_writer.h"

namespace cascade::engine {

// Copies `in` into `out`: every 2-D tensor converted to `type` (from any supported type), 1-D
// tensors (the norms) kept as they are, metadata copied with general.file_type updated.
// Quantized types need rows whose length is a multiple of 32; other tensors are an error.
absl::Status QuantizeModel(const GgufFile& in, TensorType type, GgufWriter& out);

// The GGUF general.file_type value for a file whose matrices are all `type`.
uint32_t FileTypeFor(TensorType type);

}  // namespace cascade::engine
