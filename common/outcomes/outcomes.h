#pragma once

// The outcomes format (docs/outcomes.md): one JSON object per line, a query's messages and,
// for each model that answered it, the answer, whether it was right, its usage and the
// confidence signals recorded with it (token logprobs, a self-check P(yes)). Recorded real
// models' behaviour in this format is what the replay backend answers from and what policies
// are fitted on. Reading is strict: an unknown key, a wrong type or a value out of range is
// an error naming the line and the field.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cascade/v1/common.pb.h"

namespace cascade::outcomes {

struct SelfCheck {
  double p_yes = 0;  // In [0, 1]: the model's probability that its own answer is right.
  v1::Usage usage;   // What the second call cost.
};

struct ModelOutcome {
  std::string answer;
  std::optional<bool> correct;
  std::optional<double> quality;  // In [0, 1]; graded answers.
  v1::Usage usage;
  bool usage_estimated = false;            // Token counts from text length.
  std::vector<v1::TokenLogprob> logprobs;  // The answer's tokens, where recorded.
  std::optional<SelfCheck> self_check;
  std::optional<double> latency_ms;
  // In [0, 1]: the router's estimate, when the query was answered, of this model's chance of
  // answering it well (the decision log records it under `start: learned`).
  std::optional<double> router_estimate;

  // The answer's quality in [0, 1]: `quality`, else `correct` as 1 or 0; nullopt when the
  // answer is not graded.
  std::optional<double> Quality() const {
    if (quality) return *quality;
    if (correct) return *correct ? 1.0 : 0.0;
    return std::nullopt;
  }
};

struct OutcomeRecord {
  std::string id;
  std::vector<v1::ChatMessage> messages;
  // In the file's order (a ladder's, cheapest first, by convention).
  std::vector<std::pair<std::string, ModelOutcome>> models;

  // The model's outcome, or null.
  const ModelOutcome* Find(absl::string_view model) const;
};

// One line. INVALID_ARGUMENT naming the field ("models.llama3.2-1b.usage.prompt_tokens must
// be an integer >= 0").
absl::StatusOr<OutcomeRecord> ParseOutcomeLine(absl::string_view line);

// Every record of a file; blank lines are skipped. Errors name the file and line
// ("PATH:12: ..."): INVALID_ARGUMENT for a bad line or a repeated id, NOT_FOUND for a file
// that cannot be opened.
absl::StatusOr<std::vector<OutcomeRecord>> ReadOutcomesFile(const std::string& path);

// The key a request is matched to its record by: the messages' roles and contents, exactly.
std::string MessagesKey(const std::vector<v1::ChatMessage>& messages);

}  // namespace cascade::outcomes
