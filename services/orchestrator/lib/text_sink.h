#pragma once

// How a streamed answer reaches whoever streams it on: new text with the logprobs of its
// tokens, from a tier to the cascade and from the cascade to a client.

#include <functional>

#include "absl/strings/string_view.h"
#include "cascade/v1/common.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace cascade::orchestrator {

using TokenLogprobs = google::protobuf::RepeatedPtrField<v1::TokenLogprob>;

// `logprobs` are the new text's tokens' (empty when the tier gives none).
using TextSink = std::function<void(absl::string_view text, const TokenLogprobs& logprobs)>;

}  // namespace cascade::orchestrator
