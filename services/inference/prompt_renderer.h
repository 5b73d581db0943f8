#pragma once

// Turns chat messages into the prompt tokens a model continues: rendered with the model's
// chat template (engine/chat_template.h: the family recognised from the file, or named in
// the config, or "plain", which joins the contents with newlines), ending with the
// assistant's turn opened. The template's markup becomes special tokens; what the messages
// say never does.

#include <vector>

#include "absl/status/statusor.h"
#include "cascade/v1/inference.pb.h"
#include "services/inference/engine/chat_template.h"
#include "services/inference/engine/tokenizer.h"

namespace cascade::inference {

// `messages` are checked (common/validation/chat_messages.h). INVALID_ARGUMENT for a
// conversation whose every message is empty, or text that is not UTF-8.
absl::StatusOr<std::vector<int>> RenderChatPrompt(const cascade::v1::Messages& messages,
                                                  const engine::ChatTemplate& chat_template,
                                                  const engine::Tokenizer& tokenizer);

}  // namespace cascade::inference
