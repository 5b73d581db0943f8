#pragma once

// Turns chat messages into the prompt text a plain language model continues. Our models
// carry no chat template we can run yet (GGUF templates are Jinja), so the "plain" template
// joins the message contents with newlines; the roles shape nothing. A model trained with a
// chat format is a next step (docs/services.md). The renderer receives each message with its
// role, so a template that uses them plugs in here.

#include <string>

#include "absl/status/statusor.h"
#include "cascade/v1/inference.pb.h"

namespace cascade::inference {

// `messages` are checked (common/validation/chat_messages.h). INVALID_ARGUMENT for a
// conversation whose every message is empty.
absl::StatusOr<std::string> RenderPlainPrompt(const cascade::v1::Messages& messages);

}  // namespace cascade::inference
