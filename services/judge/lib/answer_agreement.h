#pragma once

// Whether two answers to the same query say the same thing, by cheap methods only (no model
// call): shadow evaluation compares a cheap tier's accepted answer with the top tier's
// (docs/learned-start.md, "Shadow evaluation"). The first method that applies decides:
//   "exact"   the normalised texts are equal (case, whitespace and trailing punctuation
//             ignored): 1.
//   "number"  both answers contain a number: 1 when their final numbers are equal (commas
//             as thousands separators and a trailing ".0" ignored), else 0. The final
//             number is how GSM8K-style answers are graded.
//   "overlap" otherwise: the F1 of the two answers' word multisets, in [0, 1].
// An answer agrees when its score is at least kAgreementThreshold.

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace cascade::judge {

inline constexpr double kAgreementThreshold = 0.5;

struct AgreementResult {
  double score = 0;
  std::string method;  // "exact", "number" or "overlap".
  bool agrees() const { return score >= kAgreementThreshold; }
};

AgreementResult CompareAnswers(absl::string_view answer, absl::string_view reference);

// Exposed for tests: the last number in `text` in canonical form ("-1234.5"), if any.
std::optional<std::string> FinalNumber(absl::string_view text);

}  // namespace cascade::judge
