#include "services/judge/lib/llm_verdict.h"

#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace cascade::judge {

const char kDefaultJudgePrompt[] =
    "Given the user query and the proposed answer, is the answer accurate and complete? "
    "Reply YES or NO.\n\nQuery: {query}\n\nProposed answer: {answer}\n\nVerdict:";

namespace {

constexpr absl::string_view kSentencePieceSpace = "\xE2\x96\x81";  // '▁'

// Trims whitespace and SentencePiece's word-start marker.
absl::string_view TrimToken(absl::string_view token) {
  token = absl::StripAsciiWhitespace(token);
  while (absl::ConsumePrefix(&token, kSentencePieceSpace)) {
    token = absl::StripLeadingAsciiWhitespace(token);
  }
  return token;
}

bool Matches(absl::string_view candidate, const std::vector<std::string>& list,
             bool case_sensitive) {
  for (const std::string& word : list) {
    if (case_sensitive ? candidate == word : absl::EqualsIgnoreCase(candidate, word)) return true;
  }
  return false;
}

// The reply's first word: letters and digits up to the first other character.
absl::string_view FirstWord(absl::string_view text) {
  text = TrimToken(text);
  while (!text.empty() && !absl::ascii_isalnum(static_cast<unsigned char>(text.front())) &&
         static_cast<unsigned char>(text.front()) < 0x80) {
    text.remove_prefix(1);
  }
  size_t end = 0;
  while (end < text.size() && (absl::ascii_isalnum(static_cast<unsigned char>(text[end])) ||
                               static_cast<unsigned char>(text[end]) >= 0x80)) {
    ++end;
  }
  return text.substr(0, end);
}

}  // namespace

absl::Status ValidateVerdictWords(const VerdictWords& words) {
  if (words.yes.empty() || words.no.empty()) {
    return absl::InvalidArgumentError(
        "llm verdict words: yes_words and no_words each need at least one word");
  }
  std::set<std::string> seen_yes;
  for (const std::string& word : words.yes) {
    if (TrimToken(word).empty()) {
      return absl::InvalidArgumentError("llm verdict words: a yes word is blank");
    }
    seen_yes.insert(words.case_sensitive ? word : absl::AsciiStrToLower(word));
  }
  for (const std::string& word : words.no) {
    if (TrimToken(word).empty()) {
      return absl::InvalidArgumentError("llm verdict words: a no word is blank");
    }
    if (seen_yes.count(words.case_sensitive ? word : absl::AsciiStrToLower(word)) > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("llm verdict words: '", word, "' is both a yes and a no word"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Verdict> ReadVerdict(absl::string_view reply_text,
                                    const v1::TokenLogprob* first_token,
                                    const VerdictWords& words) {
  if (first_token != nullptr) {
    // The sampled token and its alternatives; the sampled token is usually also the
    // first alternative, so each distinct token string counts once.
    double p_yes = 0;
    double p_no = 0;
    std::set<std::string> counted;
    auto consider = [&](absl::string_view token, double logprob) {
      if (!std::isfinite(logprob) || logprob > 0) return;
      if (!counted.insert(std::string(token)).second) return;
      const absl::string_view trimmed = TrimToken(token);
      if (Matches(trimmed, words.yes, words.case_sensitive)) p_yes += std::exp(logprob);
      if (Matches(trimmed, words.no, words.case_sensitive)) p_no += std::exp(logprob);
    };
    consider(first_token->token(), first_token->logprob());
    for (const v1::TopLogprob& top : first_token->top()) consider(top.token(), top.logprob());
    if (p_yes + p_no > 0) {
      Verdict verdict;
      verdict.score = p_yes / (p_yes + p_no);
      verdict.path = "logprobs";
      verdict.rationale =
          absl::StrFormat("first token: P(yes)=%.4g P(no)=%.4g over %d alternatives", p_yes, p_no,
                          static_cast<int>(counted.size()));
      return verdict;
    }
  }
  const absl::string_view word = FirstWord(reply_text);
  const bool yes = Matches(word, words.yes, words.case_sensitive);
  const bool no = Matches(word, words.no, words.case_sensitive);
  if (yes || no) {
    Verdict verdict;
    verdict.score = yes ? 1.0 : 0.0;
    verdict.path = "text";
    verdict.rationale =
        absl::StrCat(first_token == nullptr ? "no logprobs"
                                            : "no verdict word among the first token's top "
                                              "logprobs",
                     "; the reply starts with '", word, "'");
    return verdict;
  }
  std::string quoted(reply_text.substr(0, 80));
  return absl::UnknownError(absl::StrCat("the judge model's reply '", absl::CEscape(quoted),
                                         "' is not a verdict: it starts with none of ",
                                         "the yes words [", absl::StrJoin(words.yes, ", "),
                                         "] or no words [", absl::StrJoin(words.no, ", "), "]",
                                         first_token == nullptr ? "" : " (nor do its top logprobs)",
                                         "; configure llm.yes_words / llm.no_words or the prompt"));
}

absl::StatusOr<std::string> RenderJudgePrompt(absl::string_view prompt_template,
                                              absl::string_view query, absl::string_view answer) {
  if (!absl::StrContains(prompt_template, "{answer}")) {
    return absl::InvalidArgumentError(
        "llm prompt template lacks {answer}: the judge model must see the answer it judges");
  }
  return absl::StrReplaceAll(prompt_template, {{"{query}", query}, {"{answer}", answer}});
}

absl::StatusOr<std::string> RenderEquivalencePrompt(absl::string_view query,
                                                    absl::string_view reference,
                                                    absl::string_view answer) {
  // One pass of substitution: an answer that itself contains "{answer}" stays as written.
  return absl::StrCat(
      "Two answers to the same query follow. Do they give the same answer: the same facts, "
      "number or choice, however worded? Reply YES or NO.\n\nQuery: ",
      query, "\n\nAnswer A: ", reference, "\n\nAnswer B: ", answer, "\n\nVerdict:");
}

}  // namespace cascade::judge
