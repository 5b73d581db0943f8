#include "services/judge/lib/answer_validators.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace cascade::judge {
namespace {

void Fail(ValidationResult& result, absl::string_view check, absl::string_view why) {
  result.failed_checks.emplace_back(check);
  if (!result.rationale.empty()) result.rationale += "; ";
  absl::StrAppend(&result.rationale, check, ": ", why);
}

// Both apostrophes: models write "can't" and "can’t".
std::string NormalizeApostrophes(std::string text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "\xE2\x80\x99") == 0) {
      out.push_back('\'');
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Returns an empty string when the answer satisfies the format, else why not.
std::string JsonProblem(absl::string_view answer, const v1::ResponseFormat& format) {
  const nlohmann::json parsed = nlohmann::json::parse(answer, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return "the answer is not valid JSON";
  if (format.type() == v1::ResponseFormat::JSON_OBJECT) {
    return parsed.is_object() ? "" : "the answer is JSON but not an object";
  }
  // JSON_SCHEMA: the top-level type and required keys; a schema we cannot read is not
  // the answer's fault, so only what it clearly says is checked.
  const nlohmann::json schema =
      nlohmann::json::parse(format.json_schema(), nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded() || !schema.is_object()) {
    return parsed.is_object() || parsed.is_array() ? "" : "the answer is JSON but not a document";
  }
  if (auto type = schema.find("type"); type != schema.end() && type->is_string()) {
    const std::string& want = type->get_ref<const std::string&>();
    const bool matches =
        (want == "object" && parsed.is_object()) || (want == "array" && parsed.is_array()) ||
        (want == "string" && parsed.is_string()) || (want == "number" && parsed.is_number()) ||
        (want == "integer" && parsed.is_number_integer()) ||
        (want == "boolean" && parsed.is_boolean()) || (want == "null" && parsed.is_null());
    if (!matches) return absl::StrCat("the answer is not of the schema's type '", want, "'");
  }
  if (auto required = schema.find("required");
      required != schema.end() && required->is_array() && parsed.is_object()) {
    std::vector<std::string> missing;
    for (const nlohmann::json& key : *required) {
      if (key.is_string() && !parsed.contains(key.get_ref<const std::string&>())) {
        missing.push_back(key.get<std::string>());
      }
    }
    if (!missing.empty()) {
      return absl::StrCat("the answer lacks required keys: ", absl::StrJoin(missing, ", "));
    }
  }
  return "";
}

}  // namespace

const std::vector<std::string>& DefaultRefusalPatterns() {
  static const auto* const kPatterns = new std::vector<std::string>{
      "i'm sorry, but i can't",  "i'm sorry, but i cannot", "i am sorry, but i cannot",
      "i'm sorry, i can't",      "i cannot help with",      "i can't help with",
      "i can't assist with",     "i cannot assist with",    "i'm unable to help",
      "i am unable to help",     "i'm not able to help",    "as an ai language model",
      "i won't be able to help",
  };
  return *kPatterns;
}

size_t TrailingLoopBytes(absl::string_view text, const ValidatorOptions& options) {
  // Only the tail matters: a looping model runs until max_tokens, so the loop is at the end.
  // The window bounds the work at max_period * kWindow byte comparisons.
  constexpr size_t kWindow = 8192;
  if (text.size() > kWindow) text = text.substr(text.size() - kWindow);
  const size_t n = text.size();
  size_t best = 0;
  const size_t max_period = std::min(static_cast<size_t>(std::max(options.max_period, 1)),
                                     n / static_cast<size_t>(std::max(options.min_repeats, 2)));
  for (size_t period = 1; period <= max_period; ++period) {
    // Walk back while text[i] == text[i + period]: the periodic suffix's length.
    size_t length = period;
    while (length < n && text[n - length - 1] == text[n - length - 1 + period]) ++length;
    const size_t repeats = length / period;
    if (repeats >= static_cast<size_t>(options.min_repeats) &&
        length >= static_cast<size_t>(options.min_loop_bytes)) {
      best = std::max(best, length);
    }
  }
  return best;
}

ValidationResult ValidateAnswer(absl::string_view answer, v1::FinishReason finish_reason,
                                const v1::ResponseFormat& response_format,
                                const ValidatorOptions& options) {
  ValidationResult result;
  const absl::string_view stripped = absl::StripAsciiWhitespace(answer);
  if (stripped.empty()) Fail(result, "empty", "the answer is empty");

  if (!stripped.empty()) {
    const std::string head = NormalizeApostrophes(absl::AsciiStrToLower(
        stripped.substr(0, static_cast<size_t>(std::max(options.refusal_window, 0)))));
    const std::vector<std::string>& patterns =
        options.refusal_patterns.empty() ? DefaultRefusalPatterns() : options.refusal_patterns;
    for (const std::string& pattern : patterns) {
      if (!pattern.empty() && head.find(pattern) != std::string::npos) {
        Fail(result, "refusal", absl::StrCat("the answer opens with '", pattern, "'"));
        break;
      }
    }
  }

  if (finish_reason == v1::FINISH_REASON_LENGTH) {
    Fail(result, "truncated", "the generation stopped at max_tokens (finish reason length)");
  }

  if (const size_t loop = TrailingLoopBytes(stripped, options); loop > 0) {
    Fail(result, "repetition",
         absl::StrCat("the last ", loop, " bytes of the answer repeat one span"));
  }

  if (response_format.type() == v1::ResponseFormat::JSON_OBJECT ||
      response_format.type() == v1::ResponseFormat::JSON_SCHEMA) {
    if (std::string problem = JsonProblem(stripped, response_format); !problem.empty()) {
      Fail(result, "invalid_json", problem);
    }
  }

  result.score = result.failed_checks.empty() ? 1.0 : 0.0;
  return result;
}

}  // namespace cascade::judge
