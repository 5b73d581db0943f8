// The seam between decoding logic and where the transformer runs. A ForwardPass holds one
// conversation's KV cache on some device (the CPU Session, or cuda/CudaSession) and runs
// tokens through the model; DecodeStep and Engine drive either one through this interface, so
// the speculative algorithm exists once.
#pragma once

#include <span>

#include "absl/status/status.h"
#include "services/inference/engine/sampler.h"

namespace cascade::engine {

// Where a model runs, chosen per engine (InferenceModelConfig.device, cascade-run --device).
enum class Device { kCpu, kCuda };

// Rows of logits a forward pass computed: what the speculative rule reads, whether they sit in
// a ForwardPass or in a batch of many sequences' rows (ContinuousBatcher).
class LogitRows {
 public:
  virtual ~LogitRows() = default;
  // One row of logits (vocab_size floats).
  virtual std::span<const float> logits(int row) const = 0;
  // Argmax(logits(row)), the lowest index among equals. A device backend computes it where the
  // logits are, so greedy decoding never copies a whole row.
  virtual int ArgmaxRow(int row) const { return Argmax(logits(row)); }
};

// logits(row) and ArgmaxRow(row) are the rows of the last Forward.
class ForwardPass : public LogitRows {
 public:
  virtual int position() const = 0;  // tokens in the KV cache
  virtual int context_length() const = 0;

  // Appends `tokens` at positions position() .. position() + n - 1 and computes the logits that
  // follow each of the last `logit_rows` of them (logit_rows <= min(n, 64)). Row i of logits()
  // belongs to token n - logit_rows + i. Bad input is InvalidArgument, the cache unchanged.
  virtual absl::Status Forward(std::span<const int> tokens, int logit_rows) = 0;
  // Rolls the cache back so that only the first `position` tokens remain.
  virtual void Truncate(int position) = 0;
};

}  // namespace cascade::engine
