#pragma once

// How the tests' fake tool-using models answer a chat completions request that declares
// tools, so that a cascade over them has something to climb on:
//
//  - after a tool result (the last message is a "tool" message): text, "The tool says: "
//    and the result, with logprobs;
//  - a model whose name contains "small": a call of a tool that was not declared (the
//    first tool's name + "_v2"), which the orchestrator's tool call check rejects;
//  - any other model: a valid call of the first tool, every required property filled
//    ("Paris" for a string, 1 for a number, true for a boolean).
//
// Tool calls come without logprobs, as OpenAI's do.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace cascade::tier_worker::testing {

// The whole answer; nullopt when the request declares no tools.
std::optional<nlohmann::json> ToolCallingReply(const nlohmann::json& request);

// The same answer streamed: SSE data payloads (a tool call's arguments in two pieces),
// the finish chunk and the usage chunk; empty when the request declares no tools.
std::vector<std::string> ToolCallingChunks(const nlohmann::json& request);

}  // namespace cascade::tier_worker::testing
