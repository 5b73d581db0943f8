#pragma once

// The `llm` method's reading of a judge model's reply (self-reflection: "is the answer
// accurate and complete? Reply YES or NO"). The score is P(yes) / (P(yes) + P(no)) from
// the first generated token's top logprobs; where the upstream gave no logprobs, or
// none of the verdict words is among the first token's alternatives, the reply's first
// word is parsed instead (1 for a yes word, 0 for a no word).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "cascade/v1/common.pb.h"

namespace cascade::judge {

struct VerdictWords {
  // Compared with a token after trimming whitespace (and SentencePiece's '▁'), and with
  // the reply's first word after trimming punctuation. Case-insensitive unless
  // case_sensitive (a model may need "Ay"/"Nay", distinct from "ay"/"nay").
  std::vector<std::string> yes = {"YES", "Yes", "yes"};
  std::vector<std::string> no = {"NO", "No", "no"};
  bool case_sensitive = false;
};

struct Verdict {
  // P(yes) in [0, 1].
  double score = 0;
  // "logprobs" or "text".
  std::string path;
  // What was read: the probabilities summed, or the word parsed.
  std::string rationale;
};

// INVALID_ARGUMENT when a list is empty or a word is blank or in both lists.
absl::Status ValidateVerdictWords(const VerdictWords& words);

// `first_token` may be null (no logprobs). UNKNOWN (the judge model's reply is not a
// verdict) when neither path finds a verdict word, quoting the reply.
absl::StatusOr<Verdict> ReadVerdict(absl::string_view reply_text,
                                    const v1::TokenLogprob* first_token, const VerdictWords& words);

// Fills {query} and {answer} in a prompt template (the user's last message and the
// answer). INVALID_ARGUMENT when the template lacks {answer}.
absl::StatusOr<std::string> RenderJudgePrompt(absl::string_view prompt_template,
                                              absl::string_view query, absl::string_view answer);

// The default template: the self-reflection question.
extern const char kDefaultJudgePrompt[];

// The `equivalence` method's question: do two answers to one query say the same thing? The
// reference comes first, as the answer a stronger model gave.
absl::StatusOr<std::string> RenderEquivalencePrompt(absl::string_view query,
                                                    absl::string_view reference,
                                                    absl::string_view answer);

}  // namespace cascade::judge
