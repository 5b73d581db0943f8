#pragma once

// The `openai_embedder` config block (cascade.v1.OpenAIEmbedderConfig) as the embedder's
// options, shared by the router (`embedder: openai`) and the orchestrator's answer cache
// (`answer_cache.openai_embedder`), so that both read it, and reject it, the same way.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cascade/v1/config.pb.h"
#include "services/router/lib/openai_embedder.h"

namespace cascade::router {

// Sets `options` from `config`; fields the config leaves unset keep the values `options`
// has (the caller's defaults). InvalidArgument "<field>.<name> ..." for a value out of range;
// FailedPrecondition "<field>.api_key_env: ..." when the key's variable is unset or empty.
absl::Status ApplyOpenAIEmbedderConfig(const cascade::v1::OpenAIEmbedderConfig& config,
                                       absl::string_view field, OpenAIEmbedderOptions& options);

}  // namespace cascade::router
