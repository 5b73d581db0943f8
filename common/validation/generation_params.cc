#include "common/validation/generation_params.h"

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/json/json_nesting.h"
#include "common/text/utf8.h"

namespace cascade {
namespace {

constexpr int kMaxStops = 4;
constexpr size_t kMaxStopBytes = 64;
constexpr int kMaxTopLogprobs = 20;

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }

}  // namespace

absl::Status ValidateGenerationParams(const v1::GenerationParams& params) {
  if (params.max_tokens() < 0) return Invalid("params.max_tokens must be >= 0");
  if (!std::isfinite(params.temperature()) || params.temperature() < 0) {
    return Invalid("params.temperature must be finite and >= 0");
  }
  if (!(params.top_p() >= 0 && params.top_p() <= 1)) {
    return Invalid("params.top_p must be in [0, 1]");
  }
  if (params.top_k() < 0) return Invalid("params.top_k must be >= 0");
  if (params.stop_size() > kMaxStops) {
    return Invalid(absl::StrCat("params.stop: ", params.stop_size(),
                                " stop strings, over the limit of ", kMaxStops));
  }
  for (int i = 0; i < params.stop_size(); ++i) {
    if (params.stop(i).size() > kMaxStopBytes || !IsValidUtf8(params.stop(i))) {
      return Invalid(absl::StrCat("params.stop[", i, "] must be valid UTF-8 of at most ",
                                  kMaxStopBytes, " bytes"));
    }
  }
  if (params.top_logprobs() < 0 || params.top_logprobs() > kMaxTopLogprobs) {
    return Invalid(absl::StrCat("params.top_logprobs must be in [0, ", kMaxTopLogprobs, "]"));
  }
  const std::string& schema = params.response_format().json_schema();
  if (int depth = JsonNestingDepth(schema); depth > kMaxJsonNesting) {
    return Invalid(absl::StrCat("params.response_format.json_schema nests ", depth,
                                " levels deep; at most ", kMaxJsonNesting, " are accepted"));
  }
  return absl::OkStatus();
}

}  // namespace cascade
